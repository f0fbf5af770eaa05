"""The mailing-list patch review bot: ingest, group into series, apply, review, reply, send.

Every message's state is kept in the store, keyed by Message-ID, and moves
one way (seen → waiting → reviewed → reply queued → reply sent, or skipped
with a reason), so processing a mailbox again sends nothing new and a crash
between two steps resumes without a lost or a duplicate reply.
"""
