/* The caller's answer to a "sync" message: one JSON line (sync_reply.c). */
#ifndef OCI_SYNC_REPLY_H
#define OCI_SYNC_REPLY_H
#include <stddef.h>

/* Indexes match enum hook_name (plan.h). */
#define SYNC_STATE_COUNT 2

struct sync_reply {
  int abort;                          /* {"type":"abort"} */
  char *message;                      /* abort message ("" when absent) */
  char *states[SYNC_STATE_COUNT];     /* states.createContainer, states.startContainer; NULL when absent */
};

/* The longest reply line accepted (states carry annotations: keep generous). */
#define SYNC_REPLY_MAX (4u << 20)

/* Parses {"type":"continue","states":{...}} or {"type":"abort","message":"..."}
 * (other members ignored, any order, surrounding whitespace allowed). Returns 0,
 * or -1 with a reason in err; *out is then empty. */
int sync_reply_parse(const char *buf, size_t len, struct sync_reply *out, char *err, size_t errlen);
void sync_reply_free(struct sync_reply *r);

#endif
