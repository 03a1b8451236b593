"""An aiosmtpd server for the TLS tests: STARTTLS required (`starttls`) or
implicit TLS (`smtps`) on the given certificate and key, AUTH PLAIN/LOGIN
for one user and password, messages into a Maildir (aiosmtpd's Mailbox).

    python smtp_auth.py starttls|smtps PORT MAILDIR CERT KEY USER PASSWORD

Runs until killed.
"""

import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    mode, port, maildir, cert, key, user, password = sys.argv[1:]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, data):
        ok = (
            isinstance(data, LoginPassword)
            and data.login == user.encode()
            and data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    options = dict(
        hostname="127.0.0.1",
        port=int(port),
        authenticator=authenticator,
        auth_require_tls=mode == "starttls",
    )
    if mode == "starttls":
        options.update(tls_context=context, require_starttls=True)
    elif mode == "smtps":
        options.update(ssl_context=context)
    else:
        sys.exit(f"mode {mode!r} is not starttls or smtps")
    controller = Controller(Mailbox(maildir), **options)
    controller.start()
    print(f"listening on 127.0.0.1:{port} ({mode})", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
