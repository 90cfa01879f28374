from service_core.doctor.result import Check, Level, render, skew_level, verdict


def test_verdict_is_the_worst_level():
    ok, warn, fail = Check("a", Level.OK, "fine"), Check("b", Level.WARN, "hm", "do x"), Check("c", Level.FAIL, "no")
    assert verdict([ok]) is Level.OK
    assert verdict([ok, warn]) is Level.WARN
    assert verdict([warn, fail, ok]) is Level.FAIL


def test_skew_levels():
    assert skew_level(0.5) is Level.OK
    assert skew_level(-3.0) is Level.WARN
    assert skew_level(45.0) is Level.FAIL


def test_render_shows_advice_only_for_problems():
    text = render([Check("db", Level.OK, "up", "never shown"), Check("broker", Level.WARN, "anonymous", "secure it")])
    assert "never shown" not in text
    assert "WARN  broker: anonymous\n      -> secure it" in text
    assert text.endswith("overall: WARN")
