"""Synthetic people and place names. Nobody's real data: names are drawn from common surnames and
given-name characters, phone numbers and ID numbers are random digits in valid-looking shapes.
"""

from __future__ import annotations

import random
from bisect import bisect
from operator import mul

# Common surnames, most frequent first, with rough weights (per mille of the population).
SURNAMES = (
    ("王", 72), ("李", 72), ("张", 68), ("刘", 53), ("陈", 46), ("杨", 32), ("黄", 23), ("赵", 22),
    ("吴", 21), ("周", 21), ("徐", 16), ("孙", 15), ("马", 14), ("朱", 13), ("胡", 13), ("郭", 12),
    ("何", 12), ("林", 11), ("高", 11), ("罗", 10), ("郑", 10), ("梁", 9), ("谢", 8), ("宋", 7),
    ("唐", 7), ("许", 7), ("韩", 7), ("冯", 6), ("邓", 6), ("曹", 6), ("彭", 6), ("曾", 6),
    ("肖", 5), ("田", 5), ("董", 5), ("袁", 5), ("潘", 5), ("于", 5), ("蒋", 5), ("蔡", 5),
    ("余", 4), ("杜", 4), ("叶", 4), ("程", 4), ("苏", 4), ("魏", 4), ("吕", 4), ("丁", 4),
    ("任", 4), ("沈", 4), ("姚", 3), ("卢", 3), ("姜", 3), ("崔", 3), ("钟", 3), ("谭", 3),
    ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3), ("廖", 3), ("贾", 3), ("夏", 3),
    ("韦", 3), ("方", 3), ("邹", 2), ("熊", 2), ("孟", 2), ("秦", 2), ("邱", 2), ("江", 2),
    ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2), ("雷", 2), ("侯", 2), ("龙", 2), ("史", 2),
    ("陶", 2), ("黎", 2), ("贺", 2), ("顾", 2), ("毛", 2), ("郝", 2), ("龚", 2), ("邵", 2),
    ("万", 2), ("钱", 2), ("严", 2), ("戴", 2), ("孔", 1), ("汤", 1), ("欧阳", 1), ("诸葛", 1),
)  # fmt: skip
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国志文海峰亮成东博晨睿轩哲昊然"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英慧莹雪琳晶婷玉萍红燕兰梅倩洁颖琴云丹欣怡佳悦雯璐蓉薇涵诗"
GIVEN_ANY = "子一思嘉佳雨梓欣可晓文春秋安"

# Mobile number prefixes (three digits) of the three carriers.
PHONE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 173 175 176 "
    "177 178 180 181 182 183 185 186 187 188 189 191 198 199"
).split()
# Region codes of ID numbers for people born elsewhere (the rest carry their district's code).
OTHER_REGIONS = ("320102", "340104", "360102", "410105", "430102", "510104", "330302", "330681", "350102")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Place-name characters for streets, communities, compounds and plazas.
PLACE_CHARS = "文新湖江山河桥塘柳桂松竹梅兰安宁康和平华丰庆福瑞祥兴盛景明晨翠清云溪月泉枫荷杏桃"
COMPOUND_SUFFIXES_OLD = ("新村", "小区", "里", "坊")
COMPOUND_SUFFIXES_NEW = ("花园", "苑", "嘉园", "府", "公寓", "家园", "雅苑")
PLAZA_SUFFIXES = ("广场", "大厦", "商务中心", "商业街", "中心")
CN_DIGITS = "零一二三四五六七八九"


def id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a resident ID number."""
    return ID_CHECK[sum(map(mul, map(int, first17), ID_WEIGHTS)) % 11]


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (for names like 第十二网格)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CN_DIGITS[tens]
    return head + "十" + (CN_DIGITS[ones] if ones else "")


class PersonMaker:
    """Draws synthetic people from one random generator (deterministic for a seed)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        names, weights = zip(*SURNAMES, strict=True)
        cumulative, total = [], 0
        for w in weights:
            total += w
            cumulative.append(total)
        self._surnames, self._cum, self._total = names, cumulative, total
        # random() and arithmetic rather than choice()/randrange(): millions of calls at city scale.
        self._r = rng.random

    def _pick(self, seq):
        return seq[int(self._r() * len(seq))]

    def name(self, gender: str) -> str:
        r = self._r
        surname = self._surnames[bisect(self._cum, r() * self._total)]
        pool = GIVEN_MALE if gender == "M" else GIVEN_FEMALE
        if r() < 0.6:
            return surname + self._pick(GIVEN_ANY if r() < 0.3 else pool) + self._pick(pool)
        return surname + self._pick(pool)

    def phone(self) -> str:
        return f"{self._pick(PHONE_PREFIXES)}{int(self._r() * 100_000_000):08d}"

    def id_number(self, region: str, birth_year: int, gender: str) -> str:
        r = self._r
        if r() < 0.3:
            region = self._pick(OTHER_REGIONS)
        month = int(r() * 12) + 1
        day = int(r() * DAYS_IN_MONTH[month - 1]) + 1
        sequence = int(r() * 250) * 2 + (1 if gender == "M" else 0)  # odd for men, even for women
        first17 = f"{region}{birth_year:04d}{month:02d}{day:02d}{sequence:03d}"
        return first17 + ID_CHECK[sum(map(mul, map(int, first17), ID_WEIGHTS)) % 11]

    def place(self, used: set[str], length: int = 2) -> str:
        """A short place name not yet in `used` (added to it)."""
        rng = self.rng
        for _attempt in range(200):
            name = "".join(rng.choice(PLACE_CHARS) for _ in range(length))
            if name not in used and len(set(name)) == length:
                used.add(name)
                return name
        return self.place(used, length + 1)
