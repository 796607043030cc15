"""The planted values, shared by the planted tests and the test that looks for them."""

TOKEN_ID = "kvcore"
TOKEN_SECRET = "q7x2mzp9k4vb8nc3"
TOKEN = f"{TOKEN_ID}.{TOKEN_SECRET}"
SECRET_DATA = "cGxhbnRlZC1zZWNyZXQtZGF0YS1rdmNvcmU="
BEARER = "plantedbearervalue0123456789"
HASH = "$6$kvcoresalt$plantedhashvalueZm9vYmFyYmF6cXV4"
KEY_BODY = "MIIEplantedprivatekeybodykvcore"
PRIVATE_KEY = f"-----BEGIN EC PRIVATE KEY-----\n{KEY_BODY}\n-----END EC PRIVATE KEY-----"

ALL = (TOKEN_SECRET, SECRET_DATA, BEARER, "plantedhashvalue", KEY_BODY)
