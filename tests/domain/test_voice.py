"""Voice languages: typed forms, and the one a text's script points to."""

import pytest

from bot.domain.voice import language_of_text, voice_language_for
from bot.i18n import Language
from bot.santo.codes import voice_language


@pytest.mark.parametrize(
    ("typed", "code"),
    [("en", "en-us"), ("zh", "zh-cn"), ("ja", "ja-jp"), ("ko", "ko-kr"), ("ru", "ru-ru"), ("es", "es-es"),
     ("pt", "pt-pt"), ("en-us", "en-us"), ("ZH_CN", "zh-cn"), ("pt-PT", "pt-pt"), ("fr", None), ("xx-yy", None)],
)
def test_typed_languages(typed: str, code: str | None) -> None:
    assert voice_language(typed) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hello, your parcel has arrived", "en-us"),
        ("Su paquete ha llegado, señora", "en-us"),  # Latin: Spanish and Portuguese are said, not guessed
        ("您好，您的包裹已到达", "zh-cn"),
        ("荷物が届きました", "ja-jp"),  # kana with Han: Japanese
        ("택배가 도착했습니다", "ko-kr"),
        ("Ваша посылка прибыла", "ru-ru"),
        ("Code 4821: 您的验证码", "zh-cn"),  # most letters decide
        ("4821 🎉", "en-us"),  # no letters at all
    ],
)
def test_language_of_text(text: str, code: str) -> None:
    assert language_of_text(text) == code


def test_the_forms_default_follows_the_persons_language() -> None:
    assert voice_language_for(Language.EN) == "en-us"
    assert voice_language_for(Language.ZH_HANS) == "zh-cn"
