#include <string.h>

#include "bus-domain.h"

const struct bus_sector bus_sectors[BUS_NSECTORS] = {
	{ "chemical", "Chemical" },
	{ "commercial", "Commercial Facilities" },
	{ "communications", "Communications" },
	{ "manufacturing", "Critical Manufacturing" },
	{ "dams", "Dams" },
	{ "defense", "Defense Industrial Base" },
	{ "emergency", "Emergency Services" },
	{ "energy", "Energy" },
	{ "financial", "Financial Services" },
	{ "food", "Food and Agriculture" },
	{ "government", "Government Facilities" },
	{ "healthcare", "Healthcare and Public Health" },
	{ "it", "Information Technology" },
	{ "nuclear", "Nuclear Reactors, Materials and Waste" },
	{ "transportation", "Transportation Systems" },
	{ "water", "Water and Wastewater" },
};

const struct bus_level bus_levels[BUS_LEVEL_MAX + 1] = {
	{ 0, "Baseline" }, { 1, "Low" },    { 2, "Medium" },
	{ 3, "High" },     { 4, "Severe" }, { 5, "Emergency" },
};

const char *const bus_kind_names[BUS_KIND_COUNT + 1] = {
	[BUS_KIND_CASE] = "case", [BUS_KIND_TEAM] = "team", [BUS_KIND_SECTOR] = "sector",
	[BUS_KIND_SENSOR] = "sensor", [BUS_KIND_INTEL] = "intel", [BUS_KIND_STAFF] = "staff",
	[BUS_KIND_COUNT] = NULL,
};

const char *const bus_kind_lists[BUS_KIND_COUNT + 1] = {
	[BUS_KIND_CASE] = "cases", [BUS_KIND_TEAM] = "teams", [BUS_KIND_SECTOR] = "sectors",
	[BUS_KIND_SENSOR] = "sensors", [BUS_KIND_INTEL] = "intel", [BUS_KIND_STAFF] = "staff",
	[BUS_KIND_COUNT] = NULL,
};

const char *const bus_case_status_names[BUS_CASE_NSTATUS + 1] = {
	[BUS_CASE_REPORTED] = "reported",
	[BUS_CASE_ASSIGNED] = "assigned",
	[BUS_CASE_INVESTIGATING] = "investigating",
	[BUS_CASE_ANALYSIS] = "analysis",
	[BUS_CASE_ONSITE] = "onsite",
	[BUS_CASE_FOLLOWUP] = "followup",
	[BUS_CASE_CLOSED] = "closed",
	[BUS_CASE_NSTATUS] = NULL, /* ends the list where it serves as choices */
};

const char *const bus_team_status_names[BUS_TEAM_NSTATUS + 1] = {
	[BUS_TEAM_AVAILABLE] = "available",
	[BUS_TEAM_DISPATCHED] = "dispatched",
	[BUS_TEAM_ENROUTE] = "enroute",
	[BUS_TEAM_ONSITE] = "onsite",
	[BUS_TEAM_RETURNING] = "returning",
	[BUS_TEAM_OFFDUTY] = "offduty",
	[BUS_TEAM_NSTATUS] = NULL,
};

const char *const bus_tlp_names[] = {
	"clear", "green", "amber", "amber+strict", "red", NULL
};

const char *const bus_intel_kind_names[] = {
	"advisory", "alert", "news", "vulnerability", "report", NULL
};

/* Roles of the members of an on-site team (not floor roles). */
const char *const bus_member_role_names[] = {
	"lead", "analyst", "ics", NULL
};

/* Floor roles by bit number: role 1 << i is named bus_role_names[i]. */
const char *const bus_role_names[] = {
	"viewer", "officer", "intake", "lead", NULL
};

int
bus_domain_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n && names[i] != NULL; i++) {
		if (strcmp(names[i], name) == 0)
			return (int)i;
	}
	return -1;
}

int
bus_sector_find(const char *id)
{
	for (int i = 0; i < BUS_NSECTORS; i++) {
		if (strcmp(bus_sectors[i].id, id) == 0)
			return i;
	}
	return -1;
}

int
bus_case_status_find(const char *name)
{
	return bus_domain_index(bus_case_status_names, BUS_CASE_NSTATUS, name);
}

int
bus_team_status_find(const char *name)
{
	return bus_domain_index(bus_team_status_names, BUS_TEAM_NSTATUS, name);
}

/* The role bit for NAME, or 0 if NAME is not a role. */
int
bus_role_find(const char *name)
{
	int i = bus_domain_index(bus_role_names, (size_t)-1, name);

	return i < 0 ? 0 : 1 << i;
}

const char *
bus_role_name(int role)
{
	for (int i = 0; bus_role_names[i] != NULL; i++) {
		if (role == 1 << i)
			return bus_role_names[i];
	}
	return "viewer";
}

const char *
bus_level_name(int level)
{
	if (level < BUS_LEVEL_MIN || level > BUS_LEVEL_MAX)
		return "?";
	return bus_levels[level].name;
}
