/*
 * The floor's vocabulary as tables (docs/DOMAIN.md): sectors, NCISS levels,
 * case and team statuses, roles, TLP markings, intel and sensor kinds.
 * Every name here is what travels on the wire.
 */
#ifndef BUS_DOMAIN_H
#define BUS_DOMAIN_H

#include <stddef.h>

#define BUS_LEVEL_MIN 0
#define BUS_LEVEL_MAX 5
#define BUS_NSECTORS 16

struct bus_sector {
	const char *id;
	const char *name;
};

struct bus_level {
	int level;
	const char *name;
};

enum bus_case_status {
	CASE_REPORTED,
	CASE_ASSIGNED,
	CASE_INVESTIGATING,
	CASE_ANALYSIS,
	CASE_ONSITE,
	CASE_FOLLOWUP,
	CASE_CLOSED,
	CASE_NSTATUS
};

enum bus_team_status {
	TEAM_AVAILABLE,
	TEAM_DISPATCHED,
	TEAM_ENROUTE,
	TEAM_ONSITE,
	TEAM_RETURNING,
	TEAM_OFFDUTY,
	TEAM_NSTATUS
};

/* Roles are bits so that rules can name a set of them. */
enum bus_role {
	ROLE_VIEWER = 1 << 0,
	ROLE_OFFICER = 1 << 1,
	ROLE_INTAKE = 1 << 2,
	ROLE_LEAD = 1 << 3,
};
#define ROLE_ANY (ROLE_VIEWER | ROLE_OFFICER | ROLE_INTAKE | ROLE_LEAD)

extern const struct bus_sector bus_sectors[BUS_NSECTORS];
extern const struct bus_level bus_levels[BUS_LEVEL_MAX + 1];
extern const char *const bus_case_status_names[CASE_NSTATUS + 1];
extern const char *const bus_team_status_names[TEAM_NSTATUS + 1];
extern const char *const bus_tlp_names[];
extern const char *const bus_intel_kind_names[];
extern const char *const bus_member_role_names[];
extern const char *const bus_role_names[]; /* by bit: ROLE_VIEWER is [0] */

/* Index of NAME in a NULL-terminated or counted name table, or -1. */
int bus_domain_index(const char *const *names, size_t n, const char *name);

int         bus_sector_find(const char *id);
int         bus_case_status_find(const char *name);
int         bus_team_status_find(const char *name);
int         bus_role_find(const char *name);
const char *bus_role_name(int role);
const char *bus_level_name(int level);

#endif
