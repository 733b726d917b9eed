# git send-email (git-email) with --smtp-server=/path/to/sendmail: it runs
# PATH [-f envelope-sender] -i recipients... on a pipe, once per patch,
# Cc and Bcc on the command line and no Bcc header.
need_cmd git git
[ -x "$(git --exec-path)/git-send-email" ] || skip_caller "git send-email not installed (Debian package git-email)"
GIT_CONFIG_NOSYSTEM=1
GIT_AUTHOR_NAME='Git Dev'
GIT_AUTHOR_EMAIL=dev@example.org
GIT_COMMITTER_NAME='Git Dev'
GIT_COMMITTER_EMAIL=dev@example.org
GIT_AUTHOR_DATE='2026-11-23T10:00:00+0000'
GIT_COMMITTER_DATE='2026-11-23T10:00:00+0000'
export GIT_CONFIG_NOSYSTEM GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_AUTHOR_DATE GIT_COMMITTER_DATE
git init -q repo && (
	cd repo && printf 'a\n' >f && git add f && git commit -qm first &&
		printf 'b\n.\n..\n' >>f && git commit -qam 'f: add lines that start with dots' &&
		git format-patch -q -1 -o ../patches
) || { echo "not ok - git could not make the patch"; exit 1; }
gse() {
	timeout 60 git send-email --smtp-server="$1" --envelope-sender=dev@example.org \
		--from='Git Dev <dev@example.org>' --to=list@example.org --cc=cc@example.org \
		--bcc=bcc@example.org --confirm=never --suppress-cc=all --no-chain-reply-to \
		--quiet patches/*.patch </dev/null >out 2>err
}
begin
gse "$OK_SM"
rc=$?
show out; show err
check "exit 0, got $rc" [ "$rc" -eq 0 ]
check "git reports it sent" has out 'Sent [PATCH] f: add lines that start with dots'
check "one message arrived" wait_ok 1
check "argv: -f sender -i to cc bcc" argv_is -f dev@example.org -i list@example.org cc@example.org bcc@example.org
check "stdin a pipe" fd_is 0 'pipe:*'
check "envelope sender from -f" mail_from_is dev@example.org
check "recipients from the command line" rcpts_are list@example.org cc@example.org bcc@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "no Bcc header" no_header "$M/message" Bcc
check "git's From, To, Subject, Message-Id kept" sh -c "grep -q '^From: Git Dev <dev@example.org>.\$' '$M/message' && grep -q '^To: list@example.org.\$' '$M/message' && grep -q '^Subject: \\[PATCH\\] f: add lines that start with dots.\$' '$M/message' && grep -q '^Message-Id: <.*-1-dev@example.org>.\$' '$M/message'"
check "no second Message-ID added" header_count "$M/message" Message-ID 1
check "the patch intact: '+.' and '+..' lines" sh -c "grep -qx '+\\..' '$M/message' && grep -qx '+\\.\\..' '$M/message'"

begin
gse "$FAIL_SM"
rc=$?
show out; show err
check "refused: git send-email exits non-zero, got $rc" [ "$rc" -ne 0 ]
check "refused: mailferry's reason on stderr" has err '550 5.1.1 no such user here'
check "refused: nothing queued" nothing_queued
caller_done
