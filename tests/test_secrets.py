"""Secret values planted in the payloads appear nowhere in the run's output or the history store."""

import gzip
import json

from conftest import AS_OF, GITHUB_AUTHORIZATIONS, GITLAB_TOKENS
from pypdf import PdfReader

SECRETS = [
    "9f3ab7c1",
    "glpat-PLANTEDsecretVALUE0001",
    "ghp_PLANTEDclassicTOKEN000000000000000001",
    "PLANTED/secret+access+key/EXAMPLEKEY",
    "hashed-PLANTED-digest",
]


def test_planted_secrets_never_persist(small_org, cli):
    folder = small_org.parent
    auth = [
        {
            **GITHUB_AUTHORIZATIONS[0],
            "token_last_eight": SECRETS[0],
            "extra": {"token": SECRETS[2], "secret": SECRETS[3]},
        }
    ]
    (folder / "github" / "auth.json").write_text(json.dumps(auth))
    tokens = [{**GITLAB_TOKENS[0], "token": SECRETS[1], "hashed_token": SECRETS[4]}, GITLAB_TOKENS[1]]
    (folder / "gitlab" / "tokens.json").write_text(json.dumps(tokens))
    out = folder / "out"
    code, stdout, stderr = cli("run", "--config", str(small_org), "--out", str(out), "--as-of", AS_OF)
    assert code == 0
    texts = [stdout, stderr]
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            texts.append((gzip.decompress(data) if path.suffix == ".gz" else data).decode("latin-1"))
    texts.append(" ".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages))
    texts.append((folder / "history.sqlite").read_bytes().decode("latin-1"))
    for secret in SECRETS:
        for text in texts:
            assert secret not in text
    evidence = gzip.decompress((out / "evidence/github/example/credential_authorizations.json.gz").read_bytes())
    assert json.loads(evidence)[0]["credential_id"] == 161195, "the metadata itself is kept as evidence"
