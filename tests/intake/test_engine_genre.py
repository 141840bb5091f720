"""Two documents of the genre written for the test: a county secretary's speech at an economic work
conference, and a city government work report saved as a web page."""

from datetime import date

from duban.intake.engine import analyse

COUNTY = """在全县经济工作会议上的讲话
县委书记 李明
（2023年12月28日）

同志们：
这次会议的主要任务是，全面贯彻落实中央、省委和市委经济工作会议精神，总结2023年经济工作，安排部署2024年工作。刚才，王县长作了全面安排，我都同意，请大家认真抓好落实。下面，我讲三点意见。

一、准确把握形势，切实增强做好经济工作的信心和决心
过去一年，面对复杂严峻的外部环境，全县上下团结一心，地区生产总值增长6.8%，固定资产投资增长12%，完成了年初确定的目标任务。同时，我们也要清醒地看到，当前经济运行还面临不少困难和挑战：一是产业结构不优，工业经济总量偏小；二是项目储备不足，缺少大项目好项目；三是营商环境还有短板，服务企业的意识不强。对此，我们必须高度重视，切实加以解决。

二、突出工作重点，全力推动经济高质量发展
2024年经济工作的总体要求是：坚持稳中求进工作总基调，完整准确全面贯彻新发展理念。主要预期目标是：地区生产总值增长6.5%左右，一般公共预算收入增长5%。
（一）坚定不移抓项目扩投资。项目是经济发展的生命线。要强化项目谋划储备，全年力争新开工亿元以上项目30个，完成固定资产投资150亿元。县发改局要牵头建立重大项目库，6月底前完成首批项目入库。各乡镇要落实属地责任，全力做好征地拆迁工作。
（二）持之以恒抓产业强实体。一要做强工业经济，新增规上工业企业15家；二要做优特色农业，新建高标准农田2万亩；三要做活现代服务业，全年接待游客突破800万人次。
（三）用心用情抓民生补短板。坚持把保障和改善民生作为出发点和落脚点，新增城镇就业3000人，新建改扩建学校5所，确保群众生活水平不断提高。

三、加强组织领导，确保各项目标任务落到实处
（一）压实工作责任。各级各部门要牢固树立“一盘棋”思想，主要负责同志要亲自抓、负总责。
（二）强化督查考核。县委督查室、县政府督查室要加强跟踪督办，每季度通报一次进展情况，对工作不力的严肃问责。
（三）改进工作作风。全县广大党员干部要大力弘扬“马上就办”的作风，坚决反对形式主义、官僚主义。

同志们，做好明年经济工作任务艰巨、使命光荣。让我们在市委的坚强领导下，团结一心，真抓实干，为全面建设社会主义现代化新县而努力奋斗！
"""

GOV_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>2024年某某市政府工作报告_某某市人民政府</title>
<script>window.onload=function(){};</script></head>
<body>
<div class="top">首页 | 政务公开 | 政府信息公开</div>
<div class="path">当前位置：首页 &gt; 政务公开 &gt; 政府工作报告</div>
<h1>2024年某某市政府工作报告</h1>
<div class="info">发布时间：2024-01-20 09:30 来源：某某市人民政府办公室 浏览次数：1523 【字体：大 中 小】</div>
<div class="content">
<p>政府工作报告</p>
<p>——2024年1月15日在某某市第五届人民代表大会第四次会议上</p>
<p>市长 张三</p>
<p>各位代表：</p>
<p>现在，我代表市人民政府，向大会报告工作，请予审议。</p>
<p>一、2023年工作回顾</p>
<p>过去一年，全市地区生产总值增长6.5%，完成了年度目标任务。</p>
<p>二、2024年重点工作</p>
<p>（一）加快建设现代化产业体系。实施制造业倍增计划，新增规上工业企业30家。</p>
<p>（二）全面推进乡村振兴。确保粮食播种面积稳定在50万亩以上，6月底前完成农村改厕2000户。</p>
<p>（三）持续改善生态环境。坚决打好污染防治攻坚战，空气质量优良天数比例达到90%以上。</p>
<p>三、加强政府自身建设</p>
<p>各级政府要坚持依法行政，自觉接受人大监督和政协民主监督。</p>
<p>各位代表！让我们团结奋斗，为建设现代化新某某而努力奋斗！</p>
</div>
<div class="share">分享到：微信 微博 QQ空间</div>
<div>【打印本页】【关闭窗口】</div>
<div>上一篇：关于印发某某方案的通知</div>
<div>下一篇：某某市2023年国民经济和社会发展统计公报</div>
<div class="foot">主办：某某市人民政府办公室 版权所有 ICP备案号：鄂ICP备12345678号</div>
</body></html>
"""


def by_title(draft, title):
    return next(t for t in draft.tasks() if t.title == title)


def test_county_speech():
    d = analyse(COUNTY, filename="county.txt")
    assert (d.meta.title, d.meta.speaker, d.meta.post) == ("在全县经济工作会议上的讲话", "李明", "县委书记")
    assert d.meta.speech_date == date(2023, 12, 28)
    one, two, _three, closing = [n for n in d.outline if n.kind != "preamble"]
    # the situation section (past results and a problem list) holds no task
    assert one.role == "context" and not [n for n in one.walk() if n.role == "task"]
    assert [n.context_kind for n in one.children] == ["problem"]
    # year of the section's work ('2024年经济工作的总体要求是') is inherited; '6月底前' said in December is next June
    goal = [t for t in two.walk() if t.kind == "area_goal"]
    assert len(goal) == 2 and goal[0].deadline.date == date(2024, 12, 31)
    item = by_title(d, "坚定不移抓项目扩投资")
    assert item.deadline.date == date(2024, 6, 30)
    # one task with several units, not split: the paragraph has directives besides the units' clauses
    assert [u.name for u in item.units] == ["县发展和改革局", "各乡镇"]
    assert [(t.quantity, t.object) for t in item.targets] == [(30, "新开工亿元以上项目"), (150, "固定资产投资")]
    yao = [n for n in two.walk() if n.marker in ("一要", "二要", "三要")]
    assert len(yao) == 3 and all(n.deadline.date == date(2024, 12, 31) and n.deadline.inherited for n in yao)
    # '县委督查室、县政府督查室要…' names two units; the default directory follows the speaker's level
    assert [u.name for u in by_title(d, "强化督查考核").units] == ["县委督查室", "县政府督查室"]
    assert closing.kind == "closing" and not closing.children
    assert len(d.tasks()) == 10


def test_government_work_report_saved_as_a_web_page():
    d = analyse(GOV_HTML.encode("utf-8"), filename="report.html")
    assert d.meta.title == "政府工作报告"
    assert d.meta.meeting == "某某市第五届人民代表大会第四次会议"
    assert d.meta.speech_date == date(2024, 1, 15)
    assert d.meta.posted_at == "2024-01-20 09:30"
    def reason(prefix):
        return next(r.reason for r in d.removed if r.text.strip().startswith(prefix))

    assert reason("首页 |") == "网站导航" and reason("当前位置") == "网站导航"
    assert reason("分享到") == "扫码/分享" and reason("【打印本页】") == "页面统计"
    assert reason("2024年某某市政府工作报告") == "网页页眉"
    assert "window.onload" not in d.text
    review, work, own, _closing = [n for n in d.outline if n.kind != "preamble"]
    assert review.context_kind == "past_work" and review.role == "context"
    assert [t.marker for t in work.children] == ["（一）", "（二）", "（三）"]
    assert [t.deadline.date for t in work.children] == [date(2024, 12, 31), date(2024, 6, 30), date(2024, 12, 31)]
    rural = work.children[1]
    assert [(t.quantity, t.measure, t.object) for t in rural.targets] == [
        (50, "万亩", "粮食播种面积"), (2000, "户", "农村改厕")]
    assert own.role == "task" and [u.name for u in own.units] == ["各级政府"]


BUSINESS = """张三同志在全市优化营商环境大会上的讲话
（2022年3月8日）

同志们：
今天召开这次大会，主要任务是动员全市上下进一步优化营商环境。

一、充分认识优化营商环境的重要意义
营商环境就是生产力。近年来，我市营商环境持续改善，但与先进地区相比还有差距。

二、聚焦重点，全力打造一流营商环境
（一）深化“放管服”改革
一是推进审批提速。市政务服务局要牵头，6月底前实现企业开办1个工作日内办结。
二是推进“一网通办”。年底前政务服务事项网上可办率达到95%以上。
三是推进监管创新。全面推行“双随机、一公开”监管。
（二）强化要素保障
——保障用地需求。市自然资源和规划局要做好用地指标统筹，全年供应工业用地3000亩。
——保障融资需求。市金融办要组织银企对接活动，全年新增贷款100亿元。
——保障用工需求。市人社局要开展招聘活动，全年帮助企业招工1万人。
（三）优化法治环境。要依法保护企业合法权益，（1）规范涉企执法行为；（2）加快清理拖欠企业账款；（3）开展涉企案件专项清理。

三、加强领导，确保各项措施落地见效
各级各部门要把优化营商环境作为“一把手”工程，主要负责同志要亲自抓。
市委督查室、市政府督查室要加强督查，每季度通报一次。
对工作不力、造成不良影响的，要严肃追责问责。

同志们，优化营商环境永远在路上，让我们共同努力！
"""

RURAL = """在全县乡村振兴工作会议上的讲话
县委副书记 王五
（2021年3月2日）

一、存在的问题
当前，我县乡村振兴工作中存在的问题主要有：
一是基础设施建设滞后，部分村道路硬化不到位。
二是产业发展不够强，缺少龙头企业带动。
三是人才支撑薄弱，农村空心化问题突出。

二、今年的重点工作
今年重点抓好三项工作：
一是推进农村人居环境整治。县住建局要牵头，年底前完成农村改厕5000户。
二是发展特色产业。新建茶叶基地1万亩。
三是加强人才队伍建设。要引进一批农业技术人才。
"""


def test_speaker_in_the_title_dash_bullets_and_inline_numbered_list():
    d = analyse(BUSINESS, filename="b.txt")
    assert (d.meta.speaker, d.meta.meeting) == ("张三", "全市优化营商环境大会")
    one = next(n for n in d.outline if n.marker == "一")
    assert one.context_kind == "rationale" and one.role == "context"  # 充分认识…重要意义
    dash = [t for t in d.tasks() if d.span_text(t).startswith("——")]
    assert len(dash) == 3
    # '市自然资源和规划局要' is one organ, not 市自然资源 + 规划局
    assert [u.name for u in dash[0].units] == ["市自然资源和规划局"]
    law = [t for t in d.tasks() if t.marker in ("（1）", "（2）", "（3）")]
    assert [t.title for t in law] == ["规范涉企执法行为", "加快清理拖欠企业账款", "开展涉企案件专项清理"]
    review = next(t for t in d.tasks() if t.title == "推进审批提速")
    assert review.deadline.date == date(2022, 6, 30)
    assert [u.name for u in review.units] == ["市政务服务和大数据管理局"]


def test_numbered_paragraphs_after_a_problem_intro_are_context():
    d = analyse(RURAL, filename="r.txt")
    problems, _work = [n for n in d.outline if n.kind != "preamble"]
    assert [c.context_kind for c in problems.children] == ["problem"] * 3
    assert [t.title for t in d.tasks()] == ["推进农村人居环境整治", "发展特色产业", "加强人才队伍建设"]
    # '今年重点抓好三项工作：' gives its year to the items below it
    assert [t.deadline.date for t in d.tasks()] == [date(2021, 12, 31)] * 3
    assert [t.deadline.inherited for t in d.tasks()] == [False, True, True]
    assert [u.name for u in d.tasks()[0].units] == ["县住房和城乡建设局"]
