/*
 * audit.h: the /v1/audit routes of the local API (audit.c): the log's
 * state, proof files, the whole-log check and the witness's evidence.
 */
#ifndef HOTLINE_AUDIT_H
#define HOTLINE_AUDIT_H

#include "api.h"

void	audit_api(struct api_req *q, const char *rest);

#endif
