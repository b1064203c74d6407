from civicgrid.core.pii import mask_id_number, mask_name, mask_phone


def test_names_keep_first_and_last_character():
    assert mask_name("张晓明") == "张*明"
    assert mask_name("欧阳晓明") == "欧**明"
    assert mask_name("李四") == "李*"


def test_phone_shows_prefix_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


def test_id_number_shows_region_prefix_and_last_four():
    assert mask_id_number("330106198001011234") == "330***********1234"


def test_short_values_are_fully_hidden():
    assert mask_phone("123") == "***"
    assert mask_id_number("12") == "**"


def test_email_shows_the_first_letter_and_the_domain():
    from civicgrid.core.pii import mask_email

    assert mask_email("zhangsan@example.cn") == "z***@example.cn"
    assert mask_email("") == "" and mask_email("not-an-address") == "not-an-address"
