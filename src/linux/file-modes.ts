/** File type bits of st_mode (<sys/stat.h>). */
export const S_IFCHR = 0o020000;
