"""The 22 top categories of grid events with their sub-categories, time limits and triage keywords.

Limits are in working hours (8 per working day, see core/workcalendar.py): `respond` is the time to
take the case on, `resolve` the time to finish it. `level` is who handles it by default in the
five-level chain before any department (grid_worker, branch, community, street). Categories marked
not public never appear on the public problem wall (petitions, religion, defence mobilisation, private
disputes, assistance to named people). Administrators edit all of this in the admin.

Used by `seed_categories()` for a fresh database; the data migrations 0002 and 0003 carry their own
frozen copy (a migration never imports this module).
"""

from __future__ import annotations

# (code, name, English name, public, default level, [(sub code, name, English, respond h, resolve h, keywords)])
CATEGORIES = [
    (
        "01",
        "信访维稳",
        "Petitions and stability",
        False,
        "street",
        [
            ("0101", "群体性信访", "Collective petition", 4, 80, "集体 上访 联名 群体"),
            ("0102", "个人信访", "Individual petition", 8, 160, "信访 上访 反映 投诉"),
            ("0103", "不稳定因素", "Instability risk", 2, 40, "聚集 维稳 隐患人员"),
        ],
    ),
    (
        "02",
        "治安隐患",
        "Public-safety hazards",
        True,
        "grid_worker",
        [
            ("0201", "可疑人员物品", "Suspicious people or objects", 2, 16, "可疑 陌生人 包裹"),
            ("0202", "治安防范设施", "Security equipment", 8, 40, "门禁 监控 摄像头 防盗"),
            ("0203", "黄赌毒线索", "Vice leads", 2, 40, "赌博 吸毒 涉黄"),
            ("0204", "出租房屋管理", "Rental housing", 8, 40, "出租房 群租 租客"),
        ],
    ),
    (
        "03",
        "食药安全",
        "Food and drug safety",
        True,
        "street",
        [
            ("0301", "无证经营", "Unlicensed food business", 8, 40, "无证 小作坊 流动摊贩 食品"),
            ("0302", "过期变质食品", "Expired or spoiled food", 4, 24, "过期 变质 发霉 食物中毒"),
            ("0303", "药品器械", "Drugs and devices", 8, 40, "药品 药店 保健品 医疗器械"),
        ],
    ),
    (
        "04",
        "城市管理",
        "City management",
        True,
        "grid_worker",
        [
            ("0401", "违章搭建", "Illegal construction", 8, 80, "违建 违章 搭建 加盖"),
            ("0402", "占道经营", "Street vending on the road", 4, 16, "占道 摆摊 夜市 出店"),
            ("0403", "乱停车", "Illegal parking", 4, 16, "乱停 停车 占用车位 僵尸车"),
            ("0404", "户外广告", "Outdoor advertising", 8, 40, "广告牌 招牌 横幅 小广告"),
        ],
    ),
    (
        "05",
        "消防安全",
        "Fire safety",
        True,
        "grid_worker",
        [
            ("0501", "消防通道堵塞", "Blocked fire lane", 2, 8, "消防通道 堵塞 楼道堆物"),
            ("0502", "消防设施损坏", "Broken fire equipment", 4, 24, "灭火器 消防栓 烟感 消防设施"),
            ("0503", "电动车违规充电", "E-bike charging", 2, 8, "电动车 充电 飞线 电瓶"),
        ],
    ),
    (
        "06",
        "生态环境",
        "Environment",
        True,
        "street",
        [
            ("0601", "噪声污染", "Noise", 4, 24, "噪音 噪声 施工 广场舞"),
            ("0602", "油烟废气", "Fumes and smoke", 4, 40, "油烟 废气 异味 烧烤"),
            ("0603", "污水排放", "Sewage discharge", 4, 40, "污水 排污 黑臭 河道"),
            ("0604", "垃圾焚烧", "Burning rubbish", 2, 8, "焚烧 烧垃圾 秸秆"),
        ],
    ),
    (
        "07",
        "矛盾纠纷",
        "Disputes",
        False,
        "grid_worker",
        [
            ("0701", "邻里纠纷", "Neighbours", 8, 40, "邻居 邻里 漏水 吵架"),
            ("0702", "家庭纠纷", "Family", 8, 40, "家庭 婚姻 赡养 继承"),
            ("0703", "物业纠纷", "Property management dispute", 8, 80, "物业费 业委会 物业纠纷"),
            ("0704", "劳资纠纷", "Wages dispute", 4, 80, "讨薪 工资 拖欠"),
        ],
    ),
    (
        "08",
        "安全生产",
        "Workplace safety",
        True,
        "street",
        [
            ("0801", "燃气安全", "Gas safety", 2, 8, "燃气 煤气 液化气 漏气"),
            ("0802", "危化品", "Hazardous chemicals", 2, 16, "危化品 化学品 易燃易爆"),
            ("0803", "企业安全隐患", "Company hazards", 4, 40, "工厂 车间 安全隐患 特种设备"),
        ],
    ),
    (
        "09",
        "交通安全",
        "Traffic safety",
        True,
        "street",
        [
            ("0901", "交通设施损坏", "Damaged traffic facilities", 4, 40, "红绿灯 信号灯 护栏 标线"),
            ("0902", "交通秩序", "Traffic order", 4, 16, "逆行 拥堵 非机动车"),
        ],
    ),
    (
        "10",
        "困难救助",
        "Assistance",
        False,
        "community",
        [
            ("1001", "低保救助", "Minimum living allowance", 8, 80, "低保 困难 救助 补助"),
            ("1002", "临时救助", "Emergency assistance", 4, 40, "临时救助 急难 生病 无人照顾"),
            ("1003", "残疾人帮扶", "Disability support", 8, 80, "残疾 轮椅 助残"),
        ],
    ),
    (
        "11",
        "卫生健康",
        "Health",
        True,
        "community",
        [
            ("1101", "传染病防控", "Infectious disease", 2, 16, "发热 传染 疫情 隔离"),
            ("1102", "医疗服务", "Medical services", 8, 40, "看病 医院 家庭医生 签约"),
            ("1103", "病媒防制", "Pests", 8, 40, "老鼠 蟑螂 蚊子 白蚁"),
        ],
    ),
    (
        "12",
        "文教体育",
        "Education, culture, sport",
        True,
        "community",
        [
            ("1201", "教育入学", "Schooling", 8, 80, "入学 学校 培训 学位"),
            ("1202", "文体设施", "Culture and sport facilities", 8, 80, "健身器材 篮球场 文化家园"),
        ],
    ),
    (
        "13",
        "老龄殡葬",
        "Elderly care and funerals",
        True,
        "community",
        [
            ("1301", "养老服务", "Elderly care", 8, 40, "老人 养老 助餐 独居"),
            ("1302", "殡葬管理", "Funerals", 8, 40, "殡葬 丧事 搭灵棚 祭扫"),
        ],
    ),
    (
        "14",
        "物业管理",
        "Property management",
        True,
        "grid_worker",
        [
            ("1401", "电梯故障", "Lift fault", 2, 16, "电梯 困人 停运"),
            ("1402", "公共设施维修", "Common facilities repair", 8, 40, "路灯 楼道灯 单元门 水管"),
            ("1403", "物业服务", "Property services", 8, 40, "物业 保安 保洁 绿化"),
        ],
    ),
    (
        "15",
        "劳动保障",
        "Labour and social security",
        True,
        "street",
        [
            ("1501", "就业服务", "Employment", 8, 80, "就业 招聘 失业 技能培训"),
            ("1502", "社保医保", "Social and medical insurance", 8, 80, "社保 医保 养老金 参保"),
        ],
    ),
    (
        "16",
        "道路设施",
        "Roads and facilities",
        True,
        "street",
        [
            ("1601", "道路破损", "Damaged road", 4, 80, "坑洞 路面 破损 塌陷"),
            ("1602", "井盖缺失", "Missing manhole cover", 2, 8, "井盖 窨井 下水道"),
            ("1603", "路灯故障", "Street light fault", 4, 40, "路灯 不亮 灯杆"),
        ],
    ),
    (
        "17",
        "市容环卫",
        "Sanitation and appearance",
        True,
        "grid_worker",
        [
            ("1701", "垃圾清运", "Rubbish collection", 4, 16, "垃圾 清运 满溢 垃圾桶"),
            ("1702", "垃圾分类", "Waste sorting", 8, 40, "分类 混投 厨余"),
            ("1703", "环境卫生", "Cleanliness", 4, 16, "卫生 脏乱 积水 粪便"),
        ],
    ),
    (
        "18",
        "房屋安全",
        "Building safety",
        True,
        "street",
        [
            ("1801", "危房隐患", "Dangerous building", 2, 40, "危房 裂缝 倾斜 墙体"),
            ("1802", "高空坠物", "Falling objects", 2, 16, "高空坠物 外墙 脱落 阳台"),
        ],
    ),
    (
        "19",
        "民族宗教",
        "Ethnic and religious affairs",
        False,
        "street",
        [
            ("1901", "宗教活动", "Religious activities", 8, 80, "宗教 寺庙 教堂 聚会点"),
            ("1902", "民族事务", "Ethnic affairs", 8, 80, "民族 少数民族"),
        ],
    ),
    (
        "20",
        "国防动员",
        "Defence mobilisation",
        False,
        "street",
        [
            ("2001", "征兵工作", "Conscription", 8, 80, "征兵 兵役 入伍"),
            ("2002", "退役军人服务", "Veterans' services", 8, 80, "退役军人 优抚 军属"),
        ],
    ),
    (
        "21",
        "便民代办",
        "Errands for residents",
        True,
        "grid_worker",
        [
            ("2101", "证照代办", "Certificates and permits", 8, 40, "代办 办证 证明 居住证"),
            ("2102", "社保代缴", "Social insurance payments", 8, 40, "代缴 缴费 认证"),
            ("2103", "上门服务", "Home visits for the housebound", 8, 40, "上门 行动不便 代购"),
        ],
    ),
    (
        "22",
        "其他",
        "Other",
        True,
        "grid_worker",
        [
            ("2201", "其他事项", "Other matters", 8, 40, ""),
        ],
    ),
]

# Extra questions of some sub-categories (Open311 service definition attributes; none required).
QUESTIONS = {
    "1401": [
        {
            "code": "TRAPPED",
            "datatype": "singlevaluelist",
            "required": False,
            "description": "是否有人被困在电梯内？",
            "order": 1,
            "values": [{"key": "yes", "name": "有人被困"}, {"key": "no", "name": "无人被困"}],
        },
        {
            "code": "LIFT_NO",
            "datatype": "string",
            "required": False,
            "description": "电梯编号（轿厢内铭牌）",
            "order": 2,
        },
    ],
    "0601": [
        {
            "code": "WHEN",
            "datatype": "multivaluelist",
            "required": False,
            "description": "噪声出现的时段",
            "order": 1,
            "values": [
                {"key": "morning", "name": "早晨"},
                {"key": "day", "name": "白天"},
                {"key": "evening", "name": "傍晚"},
                {"key": "night", "name": "夜间（22时后）"},
            ],
        },
        {
            "code": "SINCE",
            "datatype": "datetime",
            "required": False,
            "description": "最早什么时候开始",
            "order": 2,
        },
    ],
}

ERRAND_CATEGORY = "21"
DEFAULT_CATEGORY = "2201"


def seed_categories(Category=None) -> int:
    """Create or update the categories above; returns how many rows were written."""
    if Category is None:
        from .models import Category
    written = 0
    for sort, (code, name, name_en, public, level, subs) in enumerate(CATEGORIES):
        top, _ = Category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "public": public,
                "default_level": level,
                "sort": sort,
                "respond_hours": min(s[3] for s in subs),
                "resolve_hours": max(s[4] for s in subs),
                "keywords": "",
            },
        )
        written += 1
        for sub_sort, (sub_code, sub_name, sub_en, respond, resolve, keywords) in enumerate(subs):
            Category.objects.update_or_create(
                code=sub_code,
                defaults={
                    "name": sub_name,
                    "name_en": sub_en,
                    "parent": top,
                    "public": public,
                    "default_level": level,
                    "sort": sub_sort,
                    "respond_hours": respond,
                    "resolve_hours": resolve,
                    "keywords": keywords,
                    "questions": QUESTIONS.get(sub_code, []),
                },
            )
            written += 1
    return written
