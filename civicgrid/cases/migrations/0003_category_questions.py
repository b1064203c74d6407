"""Extra questions for some categories, shown in Open311 service definitions.

The data is frozen here (a migration never imports application code such as cases/seed.py).
"""

from django.db import migrations

QUESTIONS = {'1401': [{'code': 'TRAPPED',
           'datatype': 'singlevaluelist',
           'required': False,
           'description': '是否有人被困在电梯内？',
           'order': 1,
           'values': [{'key': 'yes', 'name': '有人被困'}, {'key': 'no', 'name': '无人被困'}]},
          {'code': 'LIFT_NO',
           'datatype': 'string',
           'required': False,
           'description': '电梯编号（轿厢内铭牌）',
           'order': 2}],
 '0601': [{'code': 'WHEN',
           'datatype': 'multivaluelist',
           'required': False,
           'description': '噪声出现的时段',
           'order': 1,
           'values': [{'key': 'morning', 'name': '早晨'},
                      {'key': 'day', 'name': '白天'},
                      {'key': 'evening', 'name': '傍晚'},
                      {'key': 'night', 'name': '夜间（22时后）'}]},
          {'code': 'SINCE',
           'datatype': 'datetime',
           'required': False,
           'description': '最早什么时候开始',
           'order': 2}]}


def add_questions(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    for code, questions in QUESTIONS.items():
        Category.objects.filter(code=code, questions=[]).update(questions=questions)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_seed_categories")]

    operations = [migrations.RunPython(add_questions, migrations.RunPython.noop)]
