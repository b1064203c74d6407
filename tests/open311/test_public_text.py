"""The quick test in public_text (nothing to mask without seven digits in a row or an @) never lets
personal data through: the answer is always that of the three masks applied in full."""

from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.core import pii
from civicgrid.open311 import presenters


def masked_in_full(text):
    text = presenters._ID_NUMBER.sub(lambda m: pii.mask_id_number(m.group()), text)
    text = presenters._PHONE.sub(lambda m: pii.mask_phone(m.group()), text)
    return presenters._EMAIL.sub("***@***", text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789-+ @.abX路灯", min_size=1, max_size=40))
def test_the_quick_test_answers_as_the_full_masks(text):
    assert presenters.public_text(text) == masked_in_full(text)


def test_phones_ids_and_emails_are_still_masked():
    text = "电话13912345678，座机0571-87654321，身份证330106199001011234，邮箱a.b@example.org"
    out = presenters.public_text(text)
    assert "13912345678" not in out and "87654321" not in out and "330106199001011234" not in out
    assert "example.org" not in out and out == masked_in_full(text)
    assert presenters.public_text("路灯不亮 3 天了，编号 12-34") == "路灯不亮 3 天了，编号 12-34"
