"""The country list of the registration form, in the order each language's readers expect."""

import re

import pytest

from eventreg.site.countries import countries, letters_key, pinyin_key
from tests.factories import make_conference


def names(locale: str) -> list[str]:
    return [name for _code, name in countries(locale)]


def test_chinese_countries_are_in_pinyin_order():
    # ā'ěr bā… ā'ěr jí… ā fù hàn…: by pronunciation, not by the characters' code points.
    assert names("zh")[:4] == ["阿尔巴尼亚", "阿尔及利亚", "阿富汗", "阿根廷"]
    assert names("zh").index("中非共和国") < names("zh").index("中国")
    assert names("zh")[-1] == "中国香港特别行政区"


def test_italian_countries_ignore_case_and_accents():
    assert names("it")[:4] == ["Afghanistan", "Albania", "Algeria", "Andorra"]
    assert names("it")[-1] == "Zimbabwe"
    italian = names("it")
    assert italian.index("Isole Åland") < italian.index("Isole Cayman")


def test_english_countries_put_accented_names_among_their_letter():
    assert names("en")[:4] == ["Afghanistan", "Åland Islands", "Albania", "Algeria"]
    assert names("en")[-1] == "Zimbabwe"


def test_no_region_that_is_not_a_country_is_offered():
    codes = {code for code, _name in countries("en")}
    assert {"CN", "IT", "HK"} <= codes
    assert not codes & {"EU", "UN", "ZZ", "001", "150"}


def test_the_keys():
    assert pinyin_key("中国") == "zhong guo"
    assert letters_key("Österreich") == letters_key("osterreich")


@pytest.mark.parametrize(("language", "first"), [("zh", "阿尔巴尼亚"), ("it", "Afghanistan")])
def test_the_registration_form_offers_them_in_that_order(client, app, language, first):
    make_conference(slug="expo")

    page = client.get(f"/c/expo/register?lang={language}").text

    select = re.search(r'<select[^>]*name="country".*?</select>', page, re.S).group(0)
    options = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select)
    assert options[0][0] == ""  # "Prefer not to say" first
    assert options[1][1] == first
