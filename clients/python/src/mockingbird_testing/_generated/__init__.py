"""Code generated from proto/ by `python clients/python/generate.py`; never edited by hand.

protoc writes modules that import each other as `mockingbird.v1.*_pb2` (the protos' own import
paths, which are also the names the protobuf runtime registers them under). Putting this folder
on sys.path makes that import work without rewriting a generated line.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
