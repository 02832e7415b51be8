"""Files the app makes for itself in the instance folder (signing keys, the SAML key pair)."""
import os


def write_new_file(path: str, data: bytes, mode: int) -> None:
    """Write a temporary file, then link it into place: if two workers race on first start, exactly
    one file wins and nobody reads a half-written one (the loser reads the winner's)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
