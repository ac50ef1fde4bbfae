/* What an endpoint string says about where it listens. */
#ifndef BUS_ENDPOINT_H
#define BUS_ENDPOINT_H

int bus_endpoint_is_local(const char *endpoint);

#endif
