"""Words too common to say anything in a Blitzlicht's word cloud, German and English.

Small on purpose: articles, pronouns, auxiliaries, conjunctions, prepositions and the
fillers of a spoken round ("halt", "eigentlich"). A word that carries meaning in a
workshop (gut, mehr, Team, nicht) stays, since "nicht" before a word turns it around.
Kept in case-folded form (``str.casefold``), as the cloud compares words.
"""

from __future__ import annotations

GERMAN = """
aber alle allem allen aller alles als also am an ander andere anderen auch auf aus bei
beim bin bis bisschen bist da dabei dadurch dafür damit dann dar daran darauf darum das
dass dasselbe davon dazu dem den denen denn der deren des dessen die dies diese diesem
diesen dieser dieses doch dort du durch ein eine einem einen einer eines eigentlich er
es etwas euch euer eure für gegen gewesen hab habe haben hat hatte hätte hier hin
hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins ist ja jede
jedem jeden jeder jedes jetzt kann können könnte man manche mein meine meinem meinen
meiner meines mich mir mit muss müssen nach nachdem noch nun nur ob oder ohne sehr
sein seine seinem seinen seiner seines seit sich sie sind so solche soll sollte sondern
sowie über um und uns unser unsere unter vom von vor war waren warst was weil
welche welchem welchen welcher welches wenn wer werde werden wie wieder will wir wird
wo wollen würde zu zum zur zwar zwischen halt mal schon eben wohl
"""

ENGLISH = """
a about after again all also am an and any are as at be because been before being
between both but by can could did do does doing done during each few for from further
had has have having he her here hers herself him himself his how i if in into is it
its itself just me my myself of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself
yourselves really quite
"""

# Words that mean something on a card, so the cloud keeps them, but that say nothing about
# which cards belong together: "gute Laune" and "gutes Essen" are no pair, nor are
# "kein Fingerpointing" and "keine Formulare". Only board.similar drops them.
GERMAN_COMMON = """
nicht kein keine keinen keiner keines gut gute guten guter gutes besser immer mehr viel
viele vielen wenig weniger ganz neu neue neuen neuer neues bzw usw etc
"""

ENGLISH_COMMON = """
not no don't dont never good better always more much many less few new etc pls please
"""

GERMAN_STOP_WORDS: frozenset[str] = frozenset(word.casefold() for word in GERMAN.split())
ENGLISH_STOP_WORDS: frozenset[str] = frozenset(word.casefold() for word in ENGLISH.split())
# The word cloud takes both: a Blitzlicht may mix languages.
STOP_WORDS: frozenset[str] = GERMAN_STOP_WORDS | ENGLISH_STOP_WORDS
# board.similar takes the list of the wall's language ("die" is a word in English),
# with the common words above.
SIMILARITY_STOP_WORDS: dict[str, frozenset[str]] = {
    "de": GERMAN_STOP_WORDS | frozenset(GERMAN_COMMON.split()),
    "en": ENGLISH_STOP_WORDS | frozenset(ENGLISH_COMMON.split()),
}
