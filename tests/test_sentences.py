"""Two sentences made into one line: a space after an English full stop, none after a Chinese "。";
and a list of words joined by ", " in English, by "、" in Chinese."""

from django.template import Context, Template
from django.utils import translation

from flows_app.api import Unreachable
from flows_app.failures import describe
from flows_app.text import sentences, word_list


def test_sentences_are_spaced_as_their_language_writes_them():
    assert sentences("It broke.", "", "Try again.") == "It broke. Try again."
    assert sentences("无法连接到推送服务器。", "请稍后重试。") == "无法连接到推送服务器。请稍后重试。"


def test_a_failure_summary_in_chinese_has_no_space_between_its_sentences():
    with translation.override("zh-hans"):
        summary = describe(Unreachable("down")).summary
    assert summary == "无法连接到推送服务器。未做任何更改。请确认服务器正常运行，然后稍后重试。"  # noqa: RUF001
    with translation.override("en"):
        summary = describe(Unreachable("down")).summary
    assert summary.startswith("The flows server could not be reached. Nothing was sent. ")


def test_the_sentences_tag_escapes_each_part():
    html = Template("{% load pushdeck %}{% sentences a b %}").render(
        Context({"a": "<b>1</b>。", "b": "二。"})
    )
    assert html == "&lt;b&gt;1&lt;/b&gt;。二。"


def test_a_list_of_words_is_joined_as_its_language_lists_them():
    with translation.override("en"):
        assert word_list(["#1", "#2", "#3"]) == "#1, #2, #3"
    with translation.override("zh-hans"):
        assert word_list(["#1", "#2", "#3"]) == "#1、#2、#3"


def test_the_word_list_filter_escapes_each_item():
    with translation.override("zh-hans"):
        html = Template("{% load pushdeck %}{{ names|word_list }}").render(Context({"names": ["<b>", "B&B"]}))
    assert html == "&lt;b&gt;、B&amp;B"
