"""Name pools for the generated people of the demo directory.

Surnames lean towards those common in 恩施 (the Tujia surnames 向, 谭, 田, 覃, 冉, 牟, 滕 among
them) so the directory reads like the place. People named in the speech keep their real names and
posts (see units.py); everyone else is generated and fictional.
"""

SURNAMES = (
    "向", "谭", "田", "覃", "冉", "黄", "杨", "刘", "张", "李", "王", "陈", "周", "吴", "邓", "彭", "龙",
    "朱", "胡", "何", "罗", "肖", "宋", "唐", "郑", "秦", "姚", "牟", "滕", "粟", "赵", "孙", "徐", "袁",
    "余", "万", "熊", "邹", "郭", "舒", "蒋", "雷", "简", "饶", "卢", "汪", "段", "廖",
)

# Characters for given names; a given name is one or two of them.
GIVEN = (
    "建", "国", "华", "军", "明", "平", "伟", "勇", "涛", "斌", "波", "强", "林", "峰", "辉", "敏", "静",
    "丽", "芳", "燕", "霞", "红", "玲", "娟", "英", "梅", "兰", "琴", "晓", "春", "秋", "冬", "雪", "云",
    "海", "江", "川", "山", "松", "柏", "杰", "俊", "文", "武", "志", "德", "昌", "盛", "兴", "荣", "东",
    "西", "南", "超", "鹏", "宇", "浩", "洋", "婷", "倩", "莉", "蓉", "慧", "琳", "萍", "忠", "诚", "刚",
    "毅", "成", "立", "新", "家", "永", "先", "正", "学", "金", "银", "远", "航", "飞", "翔", "卫", "彬",
    "亮", "光", "胜", "利", "祥", "福", "贵", "宏", "清", "泉", "艳", "凤", "菊", "莲", "桂", "珍",
)
