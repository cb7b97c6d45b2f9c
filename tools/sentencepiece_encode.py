#!/usr/bin/env python3
"""Encodes each JSON string read from stdin (one JSON array) with the reference SentencePiece
library and prints the id lists as one JSON array. Used by SentencePieceLibraryCrossCheckTest
as an optional independent oracle (Debian: apt-get install python3-sentencepiece)."""
import json
import sys

import sentencepiece

model = sentencepiece.SentencePieceProcessor(model_file=sys.argv[1])
texts = json.load(sys.stdin)
json.dump([model.encode(t) for t in texts], sys.stdout)
