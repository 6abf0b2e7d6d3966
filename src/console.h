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

void	console_api(struct api_req *q, const char *rest);

#endif
