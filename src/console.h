/*
 * console.h: what the web console asks the daemon besides the message
 * routes: GET /v1/console (who am I, what my role reaches, acknowledgment
 * deadlines, which optional parts exist) and GET /v1/console/health (link
 * health history per peer).
 */
#ifndef HOTLINE_CONSOLE_H
#define HOTLINE_CONSOLE_H

#include <stdint.h>

#include "api.h"

/*
 * The acknowledgment deadline of a received nrrc, direct or check message
 * of precedence prec, in milliseconds after its receipt. Until the NRRC
 * templates (issue 5) make them configurable these are the design's
 * defaults: flash 10 min, immediate 1 h, priority 6 h, routine 24 h.
 */
uint64_t console_ack_deadline_ms(int prec);

void	console_api(struct api_req *q, const char *rest);

#endif
