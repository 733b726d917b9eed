# Laravel's sendmail mailer: Symfony's transport with Laravel's default
# path "/usr/sbin/sendmail -bs -i" (config/mail.php); the same dialogue.
bs_flags="-bs -i"
. "$CALLERS/symfony-bs.sh"
