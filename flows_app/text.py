"""Text put together for display the way its language writes it: sentences side by side, and
lists of words.

The separators are the language's, not English's: Chinese sentences ending in "。" follow each
other with no space, and Chinese lists words with "、" where English writes ", ".
"""

from django.utils.translation import pgettext

# Sentences ending in full-width punctuation (Chinese) follow one another with no space between.
# (the ideographic full stop, and the full-width ! ? ; : ) and closing corner brackets).
_FULL_WIDTH_ENDS = tuple("\u3002\uff01\uff1f\uff1b\uff1a\uff09\u300d\u300f")


def sentences(*parts):
    """Sentences in one line, as their language joins them: a space after an English full stop,
    none after a Chinese "。"; empty parts are left out."""
    text = ""
    for part in (str(part).strip() for part in parts):
        if not part:
            continue
        text += part if not text or text.endswith(_FULL_WIDTH_ENDS) else f" {part}"
    return text


def word_list(items):
    """Items listed as their language lists them: "a, b, c" in English, "a、b、c" in Chinese."""
    return pgettext("separator between the items of a list of words", ", ").join(map(str, items))
