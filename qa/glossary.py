"""English -> Chinese vocabulary of municipal government documents, for lexical matching of English
questions (the dense side is multilingual already). Longest phrases are matched first."""

from __future__ import annotations

import re

GLOSSARY: dict[str, str] = {
    # bodies and posts
    "leading group": "领导小组", "working group": "工作组 工作专班", "task force": "专班 工作组",
    "headquarters": "指挥部", "commander-in-chief": "总指挥", "commander": "总指挥 指挥长",
    "office": "办公室", "bureau": "局", "commission": "委员会", "committee": "委员会",
    "center": "中心", "centre": "中心", "department": "部门 局", "agency": "部门 单位",
    "group leader": "组长", "deputy group leader": "副组长", "leader": "组长 负责人",
    "leads": "组长 牵头", "lead": "牵头 组长", "heads": "组长 主任 负责", "head": "组长 主任 负责人",
    "chairs": "组长 主任", "director": "主任 局长", "deputy director": "副主任 副局长",
    "deputy": "副", "executive deputy": "常务副", "mayor": "市长", "vice mayor": "副市长",
    "deputy mayor": "副市长", "secretary-general": "秘书长", "deputy secretary-general": "副秘书长",
    "member": "成员", "members": "成员", "principal": "校长", "president": "院长 校长",
    "general manager": "总经理", "chief": "局长 队长", "captain": "队长",
    "appointed": "任命 任", "appoint": "任命", "nominated": "提名", "removed": "免去 免职",
    "dismissed": "免去 免职", "probation": "试用期",
    # government business
    "notice": "通知", "plan": "方案 规划 计划", "implementation plan": "实施方案", "measures": "办法 措施",
    "opinions": "意见", "report": "报告", "reply": "批复", "emergency plan": "应急预案",
    "five-year plan": "五年 规划", "14th five-year": "十四五", "action plan": "行动计划",
    "responsible": "负责 责任", "responsibility": "责任", "in charge": "负责 牵头",
    "subsidy": "补贴", "subsidies": "补贴", "reward": "奖励", "award": "奖励 表彰", "bonus": "奖励",
    "fund": "资金", "funds": "资金", "funding": "资金", "budget": "预算", "fee": "费 收费",
    "fees": "收费", "price": "价格 电价", "electricity": "电力 电价", "cost": "成本 费用",
    "target": "目标", "goal": "目标", "deadline": "之前 截止", "period": "期限 时间",
    "valid": "有效期", "validity": "有效期", "per capita": "人均", "rate": "率 比例",
    "share": "比例 分担", "percent": "%", "proportion": "比例", "minimum": "不低于 不少于",
    "inspection": "检查 排查", "inspect": "检查", "campaign": "专项 行动 整治", "rectification": "整治",
    "safety": "安全", "work safety": "安全生产", "emergency": "应急", "rescue": "救援",
    "flood": "防汛", "drought": "抗旱", "earthquake": "地震", "fire": "消防", "gas": "燃气",
    "liquefied petroleum gas": "液化石油气", "lpg": "液化石油气", "pipeline": "管网 管道",
    "self-built": "自建房", "housing": "住房 房屋", "house": "房屋", "land": "土地 用地",
    "cultivated land": "耕地", "farmland": "耕地", "mine": "矿", "mining": "矿 采矿", "coal": "煤炭 煤矿",
    "coal mine": "煤矿", "coking": "焦化", "refractory": "耐火材料 耐材", "sewage": "污水",
    "wastewater": "污水", "water": "水", "water-saving": "节水", "garbage": "垃圾", "waste": "垃圾 废弃物",
    "pollution": "污染", "environment": "环境 生态环境", "ecological": "生态",
    "5g": "5G", "base station": "基站", "base stations": "基站", "digital economy": "数字经济",
    "digital government": "数字政府", "big data": "大数据", "data": "数据", "website": "网站",
    "websites": "网站", "new media": "新媒体", "government affairs": "政务", "openness": "公开",
    "enterprise": "企业", "enterprises": "企业", "company": "企业 公司", "companies": "企业",
    "sme": "中小微企业", "smes": "中小微企业", "investment": "投资", "foreign investment": "外资",
    "industry chain": "产业链", "chain leader": "链长", "consumption": "消费", "coupon": "消费券",
    "coupons": "消费券", "tourism": "旅游", "highway": "公路", "road": "公路 道路", "railway": "铁路",
    "public transport": "公共交通 公交", "bus": "公交", "bicycle": "自行车", "manhole": "窨井盖",
    "great wall": "长城", "cultural relics": "文物", "heritage": "文物", "fitness": "健身 全民健身",
    "sports": "体育", "health": "健康 卫生", "medical": "医疗", "medicine": "药品 医药", "drug": "药品",
    "hospital": "医院", "elderly": "老年 养老", "pension": "养老保险 养老", "insurance": "保险",
    "social security": "社会保障", "heating": "供热", "temperature": "室温 温度", "refund": "退费",
    "census": "普查", "population": "人口", "rule of law": "法治", "law-based": "法治",
    "administrative reconsideration": "行政复议", "law enforcement": "执法", "seal": "专用章 印章",
    "poverty": "困难群众 脱贫", "assistance": "救助", "quality award": "质量奖", "quality": "质量",
    "school": "学校 中学", "middle school": "中学", "bureau of": "局", "township": "乡镇",
    "street": "街道", "village": "村", "county": "县", "district": "区", "city": "市",
    "power supply": "供电", "grid": "电网", "approval": "审批", "license": "许可证 证",
    "permit": "许可", "register": "登记 备案", "registration": "登记", "apply": "申请", "application": "申请",
    "procedure": "程序 流程", "process": "流程 程序", "report to": "报告 报送", "hours": "小时",
    "first quarter": "第一季度", "second quarter": "第二季度", "third quarter": "第三季度",
    "fourth quarter": "第四季度", "first": "第一", "second": "第二", "third": "第三", "fourth": "第四",
    "fifth": "第五", "sixth": "第六", "seventh": "第七", "eighth": "第八", "1st": "第一", "2nd": "第二",
    "3rd": "第三", "4th": "第四", "5th": "第五", "6th": "第六", "7th": "第七", "8th": "第八",
    "no. 1": "第一", "no. 2": "第二", "no. 3": "第三", "no. 4": "第四", "no. 5": "第五", "no. 6": "第六",
    "national population census": "全国人口普查", "economic census": "经济普查",
    "big data application bureau": "大数据应用局", "big data bureau": "大数据局",
    "housing and urban-rural development bureau": "住房和城乡建设局 住建局", "public security bureau": "公安局",
    "finance bureau": "财政局", "education bureau": "教育局", "civil affairs bureau": "民政局",
    "justice bureau": "司法局", "bureau of justice": "司法局", "emergency management bureau": "应急管理局",
    "natural resources": "自然资源局 规划和自然资源局", "ecology and environment bureau": "生态环境局",
    "transport bureau": "交通运输局", "transportation bureau": "交通运输局", "water resources bureau": "水利局",
    "agriculture and rural affairs bureau": "农业农村局", "commerce bureau": "商务局",
    "culture and tourism bureau": "文化和旅游局 文旅局", "health commission": "卫生健康委员会 卫健委",
    "market supervision": "市场监督管理局 市场监管局", "market regulation": "市场监督管理局 市场监管局",
    "audit bureau": "审计局", "statistics bureau": "统计局", "medical insurance bureau": "医疗保障局 医保局",
    "industry and information technology": "工业和信息化局 工信局", "development and reform": "发展和改革委员会 发展改革委",
    "human resources and social security": "人力资源和社会保障局 人社局", "urban management": "城市管理局",
    "energy bureau": "能源局", "administrative approval": "行政审批服务管理局 审批服务管理局",
    "government affairs service center": "政务服务中心", "financial office": "金融办",
    "where": "设在", "located": "设在", "set up": "成立 设在", "executive": "常务",
    "days": "日 天", "working days": "工作日", "year": "年", "month": "月",
}
_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in sorted(GLOSSARY, key=len, reverse=True)) + r")\b", re.I)


def expand(question: str) -> str:
    """Chinese terms for the English words of a question ('' when it has none)."""
    terms: list[str] = []
    for match in _PATTERN.finditer(question):
        for term in GLOSSARY[match.group(1).lower()].split():
            if term not in terms:
                terms.append(term)
    return " ".join(terms)
