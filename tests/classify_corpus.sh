#!/bin/sh
# Corpus classification: every failed attempt of the shared corpus of real
# Postfix and Exim logs is classified with the shipped rules, and the share
# that falls into "other" is printed (issue 14's target is 0), with the
# most frequent unclassified texts.  Reports, does not judge: a new text in
# the corpus must not break the build, it is a rule to write.  Skips (77)
# when the corpus is absent.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
corpus=${SMTPTALLY_CORPUS:-$top_srcdir/../shared/corpus}
export top_srcdir

if [ ! -d "$corpus/postfix" ] || [ ! -d "$corpus/exim" ]; then
	echo "classify_corpus: $corpus not found, skipping"
	exit 77
fi
exec "$top_builddir/tests/check_classify" corpus "$corpus"
