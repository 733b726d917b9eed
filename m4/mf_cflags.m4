# MF_TRY_CFLAG(FLAG, ACTION-IF-OK, ACTION-IF-NOT)
AC_DEFUN([MF_TRY_CFLAG], [
  mf_save_CFLAGS="$CFLAGS"
  CFLAGS="$CFLAGS -Werror $1"
  AC_MSG_CHECKING([whether $CC accepts $1])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[]], [[return 0;]])],
                 [AC_MSG_RESULT([yes]); CFLAGS="$mf_save_CFLAGS"; $2],
                 [AC_MSG_RESULT([no]); CFLAGS="$mf_save_CFLAGS"; $3])
])
