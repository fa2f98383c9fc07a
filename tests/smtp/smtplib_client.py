# SPDX-License-Identifier: BSL-1.0
# A mail client on Python's smtplib for the SMTP server's tests: connects
# to 127.0.0.1:PORT as "client.test", runs the steps given on the command
# line in order and prints one line per step; the message to send is read
# from stdin. The first exception ends the run (exit 1) with a line naming
# it and what smtplib reported; the session ends with QUIT either way.
#
#   smtplib_client.py PORT STEP...
#   ehlo | helo | starttls[=CAFILE] | auth=PLAIN:user:password |
#   auth=LOGIN:user:password | login=user:password |
#   sendmail=FROM:TO[,TO...][:MAIL-OPTION...] | send_message
import smtplib
import ssl
import sys
from email import message_from_bytes, policy


def refused(errors):
    """The refused recipients, sorted: "to code text; ..." or "none"."""
    if not errors:
        return "none"
    return "; ".join(f"{to} {code} {text.decode()}" for to, (code, text) in sorted(errors.items()))


def starttls(smtp, cafile):
    context = ssl.create_default_context(cafile=cafile or None)
    return smtp.starttls(context=context)[0]


def auth(smtp, arg):
    mechanism, smtp.user, smtp.password = arg.split(":", 2)
    return smtp.auth(mechanism, getattr(smtp, "auth_" + mechanism.lower()))[0]


def sendmail(smtp, arg):
    sender, to, *options = arg.split(":")
    return refused(smtp.sendmail(sender, to.split(","), sys.stdin.buffer.read(), options))


def send_message(smtp, _):
    return refused(smtp.send_message(message_from_bytes(sys.stdin.buffer.read(), policy=policy.SMTP)))


STEPS = {
    "ehlo": lambda smtp, _: smtp.ehlo()[0],
    "helo": lambda smtp, _: smtp.helo()[0],
    "starttls": starttls,
    "auth": auth,
    "login": lambda smtp, arg: smtp.login(*arg.split(":", 1))[0],
    "sendmail": sendmail,
    "send_message": send_message,
}


def describe(error):
    """What smtplib reported, as one line."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return f"{name} {refused(error.recipients)}"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return f"{name} {error.smtp_code} {error.smtp_error.decode()} ({error.sender})"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{name} {error.smtp_code} {error.smtp_error.decode()}"
    return f"{name} {error}"


def main():
    try:
        with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test",
                          timeout=20) as smtp:
            for step in sys.argv[2:]:
                name, _, arg = step.partition("=")
                print(name, STEPS[name](smtp, arg), flush=True)
    except (smtplib.SMTPException, OSError) as error:
        print(describe(error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
