/*
 * metrics.h: GET /metrics, the node's figures in the Prometheus text
 * exposition format (version 0.0.4).
 */
#ifndef HOTLINE_METRICS_H
#define HOTLINE_METRICS_H

#include "api.h"

void	metrics_api(struct api_req *q, const char *rest);

#endif
