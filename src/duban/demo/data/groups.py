"""The twelve leading groups (领导小组) of the speech's second reform: "建立12个领导小组运行办法,
强化领导小组负责制和单一领导责任制".

The speech gives the number, not the names; these are the groups a 县级市 committee of 2017 ran for
the work the speech assigns — one per area of its 九项工作 plus 改革, 脱贫攻坚, 重点项目 and the
督查考评 system itself. People are (unit code, staff slot) as in units.py.
"""

from datetime import date

SECRETARY = ("SW", "secretary")  # 市委书记
DEPUTY_SECRETARY = ("SW", "deputy_secretary")
MAYOR = ("ZF", "mayor")
EXECUTIVE = ("ZF", "executive")  # 常务副市长
VICE_A = ("ZF", "vice_a")
VICE_B = ("ZF", "vice_b")


def head(code):
    return (code, "head")


GROUPS = [
    {
        "name": "市委全面深化改革领导小组",
        "leader": SECRETARY,
        "deputies": [MAYOR, DEPUTY_SECRETARY],
        "office": "SWB",
        "people": [head("SWB"), head("FGJ"), head("CZJ")],
        "units": ["SWB", "ZFB", "ZZB", "FGJ", "CZJ", "RSJ"],
        "duties": "统筹推进督查考评机制、领导机制、岗位管理机制(ABC角制度)、要素分配机制、干部管理机制五项改革;"
                  "审议重大改革方案,研究出台落实“三个区分开来”的具体办法,督促改革任务落地。",
        "established": date(2017, 3, 6),
    },
    {
        "name": "市落实全面从严治党主体责任领导小组",
        "leader": SECRETARY,
        "deputies": [head("SJW"), head("ZZB")],
        "office": "SJW",
        "people": [head("XCB"), head("SWB")],
        "units": ["SJW", "ZZB", "XCB", "SWB", "XCHB"],
        "duties": "完善“一级一清单、一人一清单”的“两个责任”清单,落实主体责任全程纪实办法,实行台账式管理、项目化推动;"
                  "突出“关键的少数”、重点职能部门和群众身边的腐败问题,统筹大数据监督检查和“六个专项治理”;"
                  "从严执行“一岗双责”“一案双查”,科学运用“四种形态”。",
        "established": date(2017, 3, 6),
    },
    {
        "name": "市委巡察工作领导小组",
        "leader": head("SJW"),
        "deputies": [head("ZZB")],
        "office": "XCHB",
        "people": [head("XCHB"), head("SWB")],
        "units": ["SJW", "ZZB", "SWB", "CZJ", "XFJ"],
        "duties": "制定巡察工作规划和年度计划,在一届任期内实现对所有乡(镇、办事处)和市直单位巡察全覆盖;"
                  "坚持政治巡察导向,组织巡察组开展巡察和“回头看”,督促反馈意见和问题全部整改、彻底整改。",
        "established": date(2017, 3, 10),
    },
    {
        "name": "市基层党建工作领导小组",
        "leader": SECRETARY,
        "deputies": [DEPUTY_SECRETARY, head("ZZB")],
        "office": "ZZB",
        "people": [head("MZJ"), head("FPB")],
        "units": ["ZZB", "MZJ", "CZJ", "NYJ", "FPB", "BJ", "BG"],
        "duties": "推动基层党建“全面进步、全面过硬”,实现“三个交账”:软弱涣散基层党组织整改分年度交账,"
                  "村级集体经济达标三年内全部交账,村、社区党员群众服务中心规范化建设五年内全部交账;"
                  "推动“两学一做”学习教育常态化、制度化。",
        "established": date(2017, 3, 10),
    },
    {
        "name": "市意识形态工作领导小组",
        "leader": SECRETARY,
        "deputies": [head("XCB")],
        "office": "XCB",
        "people": [head("DX"), head("TSW")],
        "units": ["XCB", "ZZB", "TZB", "JYJ", "DX", "TSW"],
        "duties": "落实党管意识形态责任制,办好“硒都讲坛”;开展文明乡镇、文明村庄、文明家庭、文明社区创建,"
                  "五年内完成10个文明乡镇、50个文明乡村创建,争取全国文明城市创建达标;加强网络舆情引导。",
        "established": date(2017, 3, 13),
    },
    {
        "name": "市统一战线工作领导小组",
        "leader": SECRETARY,
        "deputies": [head("TZB")],
        "office": "TZB",
        "people": [head("WJJ")],
        "units": ["TZB", "WJJ", "MZJ", "GH"],
        "duties": "支持民主党派、无党派人士参政议政和民主监督;团结党外代表人士、党外知识分子、非公经济人士、"
                  "民族宗教人士;深化“千企帮千村”活动,把卫计系统“基层党外知识分子工作站”打造成全省品牌。",
        "established": date(2017, 3, 13),
    },
    {
        "name": "市平安法治建设领导小组",
        "leader": head("ZFW"),
        "deputies": [head("GAJ"), VICE_A],
        "office": "ZFW",
        "people": [head("XFJ")],
        "units": ["ZFW", "GAJ", "XFJ", "MZJ", "MF"],
        "duties": "深入推进平安法治恩施建设,做到“五个不发生”,争创全国长安杯;全面落实社会治安综合治理措施,"
                  "总结推广沐抚办事处层级调处经验,创新信访维稳信息预警机制,加强重点群体、重点人员管控。",
        "established": date(2017, 3, 15),
    },
    {
        "name": "市党管武装工作领导小组",
        "leader": SECRETARY,
        "deputies": [head("RWB"), VICE_A],
        "office": "RWB",
        "people": [head("MZJ")],
        "units": ["RWB", "MZJ", "CZJ", "JYJ"],
        "duties": "支持配合军队改革,推动军民融合发展,提升全民国防意识;高标准抓好民兵预备役和国防动员工作,"
                  "推进乡(镇、办事处)人武部正规化建设和民兵应急能力建设。",
        "established": date(2017, 3, 15),
    },
    {
        "name": "市群团工作领导小组",
        "leader": DEPUTY_SECRETARY,
        "deputies": [head("ZZB"), VICE_B],
        "office": "GH",
        "people": [head("GH"), head("TSW"), head("FL")],
        "units": ["GH", "TSW", "FL", "CL", "KX", "RSJ"],
        "duties": "按照上级部署推进群团改革,建立联动共建工作机制;统筹青年创业大赛、“春风行动”招聘会等"
                  "群团与人社部门联合活动,发挥工会、共青团、妇联、残联、科协各自职能。",
        "established": date(2017, 3, 20),
    },
    {
        "name": "市脱贫攻坚领导小组",
        "leader": SECRETARY,
        "deputies": [MAYOR, VICE_B],
        "office": "FPB",
        "people": [head("FPB"), head("NYJ")],
        "units": ["FPB", "NYJ", "MZJ", "JYJ", "WJJ", "RSJ", "ZJJ", "CZJ"],
        "duties": "到2019年坚决打赢脱贫攻坚战,与全省同步全面建成小康社会;统筹精准扶贫、结对帮扶重点贫困村和"
                  "村级集体经济发展;推进要素配置由自上而下为主向自下而上为主转变。",
        "established": date(2017, 3, 1),
    },
    {
        "name": "市重点项目建设领导小组",
        "leader": MAYOR,
        "deputies": [EXECUTIVE],
        "office": "FGJ",
        "people": [head("FGJ"), head("ZJJ")],
        "units": ["FGJ", "CZJ", "ZJJ", "HBJ", "AJJ", "NYJ"],
        "duties": "围绕“316”主要目标,推进重点项目建设,做大生产总值、固定资产投资两个核心指标,"
                  "增加“规上”工业企业;协调用地、资金等要素保障,统筹环境保护和安全生产。",
        "established": date(2017, 3, 1),
    },
    {
        "name": "市督查考评工作领导小组",
        "leader": SECRETARY,
        "deputies": [DEPUTY_SECRETARY, EXECUTIVE],
        "office": "DCS",
        "people": [head("SWB"), head("ZFB"), head("DCS")],
        "units": ["SWB", "ZFB", "ZZB", "SJW", "FGJ"],
        "duties": "建立目标倒逼任务、时间倒逼进度、责任倒逼落实的督办考评体系;坚持明察与暗访、专项督查与全面督查、"
                  "过程督查与年终问效相结合;推行ABC角制度;分届次开展“硒都楷模”评选。",
        "established": date(2017, 3, 1),
    },
]
