"""Synthetic citizen messages for the triage benchmark and the test file tests/data/triage_synthetic.csv.

NOT real data: sentences assembled from hand-written fragments (a place, a problem phrased several
ways, a time, a request), with words shared between classes (楼道, 车, 水, 噪音 …) so that the task is
not trivial. Real hotline messages are longer, noisier and far less regular; figures on this data
say nothing about accuracy on them.

    .venv/bin/python bench/triage_synthetic.py --rows 160 --out tests/data/triage_synthetic.csv
"""

from __future__ import annotations

import argparse
import csv
import random
import sys

# label → problem phrases (the core of a message); several ways of saying the same thing.
PROBLEMS = {
    "乱停车": [
        "车辆乱停乱放",
        "有车长期停在消防通道上",
        "门口停满了私家车进不去",
        "电动车和汽车把人行道占了",
        "有一辆僵尸车好几个月没动过",
        "车停在盲道上",
        "外来车辆占用小区车位",
        "路边违停很严重",
    ],
    "消防通道堵塞": [
        "楼道里堆满了杂物",
        "消防通道被纸箱堵住",
        "安全出口被锁上了",
        "楼梯间堆放旧家具",
        "消防通道堆了很多垃圾袋",
        "疏散通道被自行车挡住",
        "楼道被邻居的花盆占满",
        "消防车道上搭了棚子",
    ],
    "电动车违规充电": [
        "有人从窗户拉电线给电动车充电",
        "电动车推进楼道里充电",
        "飞线充电很危险",
        "电瓶拿回家里充电",
        "楼下私拉电线充电",
        "电动车停在电梯里",
        "晚上有人在楼道给电瓶车充电",
        "充电线从三楼垂下来",
    ],
    "噪声污染": [
        "晚上施工噪音很大",
        "广场舞音响太吵",
        "楼下商铺音乐放得很响",
        "半夜有人装修电钻声不断",
        "工地夜间打桩",
        "KTV噪声扰民",
        "早上五点就开始施工",
        "空调外机噪音吵得睡不着",
    ],
    "垃圾清运": [
        "垃圾桶满了没人清运",
        "垃圾堆在路边好几天",
        "垃圾房臭味很大",
        "建筑垃圾没人拉走",
        "垃圾清运车不按时来",
        "小区门口垃圾成堆",
        "垃圾桶旁边苍蝇很多",
        "装修垃圾堆在楼下",
    ],
    "路灯损坏": [
        "路灯不亮",
        "路灯坏了一直没人修",
        "晚上路上黑漆漆的",
        "路灯杆被撞歪了",
        "小区里的路灯时亮时不亮",
        "路灯灯罩掉下来了",
        "一整排路灯都不亮",
        "路灯电线裸露",
    ],
    "井盖缺失": [
        "井盖丢了",
        "井盖松动车压过去哐哐响",
        "窨井盖破损",
        "路中间的井盖塌陷了",
        "雨水井盖被偷了",
        "井盖缺失有人差点掉下去",
        "井盖翘起来了",
        "污水井盖裂开",
    ],
    "漏水纠纷": [
        "楼上漏水到我家",
        "邻居家水管爆了渗到楼下",
        "卫生间漏水楼上不肯修",
        "天花板一直滴水",
        "楼上装修把防水层弄坏了",
        "墙面渗水发霉",
        "和楼上邻居因为漏水吵起来",
        "楼上洗衣机漏水",
    ],
}
PLACES = [
    "宝石社区",
    "葛岭社区",
    "北山街",
    "曙光路",
    "西溪花园",
    "文三路",
    "翠苑一区",
    "保俶路口",
    "体育场路",
    "湖滨小区",
    "学院路",
    "古荡新村",
]
BUILDINGS = ["3幢", "5栋", "12号楼", "2单元", "东门", "北门", "地下车库", "菜场旁边", "公交站附近", ""]
TIMES = ["", "已经一个星期了，", "好几天了，", "每天都这样，", "昨天开始，", "多次反映，", "最近一个月，"]
ASKS = [
    "请尽快处理。",
    "希望有关部门管一管。",
    "麻烦派人来看看。",
    "居民意见很大。",
    "",
    "谢谢！",
    "存在安全隐患。",
    "老人小孩出行不方便。",
]


def message(rng: random.Random, label: str) -> str:
    place = rng.choice(PLACES) + rng.choice(BUILDINGS)
    problem = rng.choice(PROBLEMS[label])
    parts = [place, "，" if rng.random() < 0.7 else "", rng.choice(TIMES), problem, "，", rng.choice(ASKS)]
    if rng.random() < 0.25:  # a second, unrelated complaint mixed in, as callers do
        other = rng.choice([k for k in PROBLEMS if k != label])
        parts += ["另外", rng.choice(PROBLEMS[other]), "。"]
    return "".join(parts)


def rows(n: int, seed: int = 7, labels: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(title, text, label) rows, classes in turn (balanced)."""
    rng = random.Random(seed)
    labels = labels or list(PROBLEMS)
    out = []
    for i in range(n):
        label = labels[i % len(labels)]
        text = message(rng, label)
        title = rng.choice(PROBLEMS[label])[:12] if rng.random() < 0.5 else ""
        out.append((title, text, label))
    rng.shuffle(out)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=160)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="-")
    args = parser.parse_args(argv)
    out = sys.stdout if args.out == "-" else open(args.out, "w", newline="", encoding="utf-8")  # noqa: SIM115
    writer = csv.writer(out)
    writer.writerow(["title", "text", "label"])
    writer.writerows(rows(args.rows, args.seed))
    if out is not sys.stdout:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
