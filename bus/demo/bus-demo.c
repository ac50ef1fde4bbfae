#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "bus-codec.h"
#include "bus-demo.h"
#include "bus-domain.h"
#include "bus-sock.h"
#include "xmalloc.h"

#define DEMO_SENSORS_PER_SECTOR 2
#define DEMO_NSENSORS (BUS_NSECTORS * DEMO_SENSORS_PER_SECTOR)
#define DEMO_HEARTBEAT_MS 5000   /* each sensor, scaled by speed */
#define DEMO_DISPATCH_TRIES 6     /* a lead waits this many times for a free team */

/* Organisations by sector, in the order of bus_sectors. */
static const char *const demo_orgs[BUS_NSECTORS][3] = {
	{ "Bayou Chemical Works", "Tri-State Solvents", "Keystone Polymers" },
	{ "Harbor Mall Properties", "Grand Arena Venues", "Summit Hotels Group" },
	{ "Skyline Telecom", "Prairie Broadband", "Coastal Cable Networks" },
	{ "Apex Precision Components", "Midwest Auto Stamping", "Delta Turbine Works" },
	{ "Twin Rivers Dam Authority", "Canyon Hydro District", "Lock and Dam 14 Operations" },
	{ "Sentinel Aerospace", "Ironclad Armor Systems", "Vector Guidance Labs" },
	{ "County 911 Dispatch", "Metro Fire Rescue", "Regional EMS Consortium" },
	{ "Ridgeway Power", "Gulf Midstream Pipeline", "Northern Grid Cooperative" },
	{ "First Prairie Bank", "Union Clearing House", "Lakeshore Credit Union" },
	{ "Golden Valley Foods", "Heartland Grain Elevators", "Cascade Dairy" },
	{ "State Department of Revenue", "City Hall IT Services", "County Elections Office" },
	{ "St. Mary Regional Health", "Riverside Medical Center", "Pinecrest Labs" },
	{ "Cloudline Hosting", "Northwind Software", "Datavault Colocation" },
	{ "Blue Ridge Generating Station", "Oak Hollow Fuel Services", "Isotope Transport Co" },
	{ "Metro Rail Transit", "Port of Bayview", "Interstate Freight Lines" },
	{ "City Water Authority", "Lakeside Wastewater District", "Valley Irrigation Board" },
};

static const char *const demo_titles[] = {
	"Failed logins on HMI at substation %d",
	"Unexpected Modbus writes to PLC %d",
	"Spear-phishing aimed at control engineers (%d messages)",
	"Ransomware on the business network, %d hosts",
	"Control network traffic to an unknown host on port %d",
	"Intrusion traces in logs of %d devices",
	"Historian server beaconing every %d seconds",
	"Unauthorised remote session on SCADA workstation %d",
	"Public web portal defaced, %d pages",
	"Credentials stolen from VPN appliance, %d accounts",
	"制御系ネットワークへの不正アクセス (site %d)",
};

static const struct {
	const char *title, *source, *kind;
} demo_intel[] = {
	{ "Attacks on industrial control systems rising, report finds", "ICS-CERT", "report" },
	{ "Flame malware self-destruct command observed", "US-CERT", "alert" },
	{ "Weak keys found in widely deployed network devices", "University research", "vulnerability" },
	{ "DOE publishes 21 steps to improve SCADA security", "Department of Energy", "advisory" },
	{ "HMI web server flaw allows remote code execution", "ICS-CERT", "vulnerability" },
	{ "Phishing kit impersonating utility billing portals", "MS-ISAC", "alert" },
	{ "Campaign against oil and natural-gas pipeline operators", "ICS-CERT", "alert" },
	{ "Default credentials in building automation controllers", "Vendor bulletin", "vulnerability" },
	{ "Newspaper: ransomware gangs turn to hospitals", "Open source", "news" },
	{ "Monthly Monitor: incident response activity", "NCCIC", "report" },
};

static const char *const demo_tlp[] = { "clear", "green", "green", "amber", "amber", "amber+strict", "red" };

static const char *const demo_signatures[] = {
	"ET SCADA Modbus write to coil",
	"ET SCADA DNP3 unsolicited response",
	"ET POLICY RDP from external network",
	"ET TROJAN beacon to known C2",
	"ET SCAN port sweep of control subnet",
	"ET EXPLOIT HMI web server overflow",
};

static const char *const demo_officers[] = { "okafor", "tanaka", "novak" };
static const char *const demo_teams[] = { "FLY-1", "FLY-2", "FLY-3", "FLY-4", "FLY-5", "FLY-6" };
#define DEMO_NTEAMS 6

/* One step of a case's (or a team's) life, due at a time. */
struct demo_step {
	int64_t due;
	char case_id[32];
	char team[16];
	int kind;
	int tries; /* STEP_DISPATCH: times no team was free */
};

enum { STEP_ACK, STEP_ASSIGN, STEP_INVESTIGATE, STEP_ANALYSIS, STEP_DISPATCH,
	STEP_ENROUTE, STEP_ONSITE, STEP_RETURNING, STEP_AVAILABLE, STEP_FOLLOWUP,
	STEP_CONTAIN, STEP_CLOSE };

struct bus_demo {
	uint64_t rng;
	double rate;   /* reports, intel and alerts a second */
	double speed;  /* >1: lifecycles run faster (tests) */
	int64_t next_event, next_heartbeat;
	int hb_index;
	int silent;            /* the sensor not sending heartbeats, or -1 */
	int64_t silent_until, next_silence;
	int reports;           /* incidents sent, for refs */
	int intel_next;        /* headlines come round in turn, not twice running */
	int opening;           /* events still to come at ten times the rate */
	int team_busy[DEMO_NTEAMS];
	/* Every step planned is kept: a floor that dropped its chores
	 * (closing above all) when busy filled up with cases for ever. */
	struct demo_step *steps;
	int nsteps, steps_cap;

	/* Reports in flight: what their cases need once the hub names them. */
	struct { long id; int level, onsite; } pending[256];
	long next_id;
	unsigned long sent, refused;
};

static uint64_t
demo_rand(struct bus_demo *d)
{
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return d->rng * 2685821657736338717ULL;
}

static int
demo_pick(struct bus_demo *d, int n)
{
	return (int)(demo_rand(d) % (uint64_t)n);
}

/* Milliseconds from MIN to MAX seconds, shortened by the speed. */
static int64_t
demo_after(struct bus_demo *d, int min_s, int max_s)
{
	int64_t ms = (int64_t)min_s * 1000 + (int64_t)(demo_rand(d) % (uint64_t)((max_s - min_s) * 1000 + 1));

	return (int64_t)((double)ms / d->speed);
}

/* Milliseconds from MIN to MAX seconds of real time, whatever the speed:
 * a sensor's silence must outlast the hub's timeout. */
static int64_t
demo_real(struct bus_demo *d, int min_s, int max_s)
{
	return (int64_t)min_s * 1000 + (int64_t)(demo_rand(d) % (uint64_t)((max_s - min_s) * 1000 + 1));
}

/* NCISS levels of reports as a floor sees them: mostly 1-2, sometimes
 * 3-4, rarely 5. */
static int
demo_level(struct bus_demo *d)
{
	int r = demo_pick(d, 100);

	return r < 65 ? 1 : r < 87 ? 2 : r < 96 ? 3 : r < 99 ? 4 : 5;
}

/*
 * Sensor alerts: mostly 0-1 (scans, policy hits), a Medium now and then,
 * a High rarely. The hub holds a sector at an alert's level for its alert
 * window and steps it down one level a window after (bus-state.c), so at
 * a demo's rate of an alert or so a second a Medium in a thousand
 * raises a sector now and then, and the levels that matter come from
 * cases, as on a real floor.
 */
static int
demo_alert_level(struct bus_demo *d)
{
	int r = demo_pick(d, 5000);

	return r < 1750 ? 0 : r < 4995 ? 1 : r < 4999 ? 2 : 3;
}

struct bus_demo *
bus_demo_new(uint64_t seed, double rate, double speed, int64_t now)
{
	struct bus_demo *d = xcalloc(1, sizeof *d);

	d->rng = seed * 0x9e3779b97f4a7c15ULL + 0x5eed;
	d->rate = rate > 0 ? rate : 1;
	d->speed = speed > 0 ? speed : 1;
	d->next_event = now;
	d->next_heartbeat = now;
	d->silent = -1;
	d->next_silence = now + demo_real(d, 20, 40);
	d->intel_next = demo_pick(d, 100);
	/* A floor is never empty when a shift starts: open with a burst, so
	 * that a newcomer sees a working floor within seconds. */
	d->opening = 24;
	return d;
}

void
bus_demo_free(struct bus_demo *d)
{
	if (d == NULL)
		return;
	free(d->steps);
	free(d);
}

static struct demo_step *
demo_schedule(struct bus_demo *d, int kind, const char *case_id, const char *team, int64_t due)
{
	struct demo_step *s;

	if (d->nsteps == d->steps_cap) {
		d->steps_cap = d->steps_cap ? d->steps_cap * 2 : 256;
		d->steps = xrealloc(d->steps, (size_t)d->steps_cap * sizeof *d->steps);
	}
	s = &d->steps[d->nsteps++];
	memset(s, 0, sizeof *s);
	s->due = due;
	s->kind = kind;
	snprintf(s->case_id, sizeof s->case_id, "%s", case_id ? case_id : "");
	snprintf(s->team, sizeof s->team, "%s", team ? team : "");
	return s;
}

/* A case worked without a team (or whose team is back): contained and
 * its level lowered if it was above Low, then closed some minutes on. */
static void
demo_wind_down(struct bus_demo *d, const char *case_id, int64_t now, int contain_s,
    int close_s)
{
	demo_schedule(d, STEP_CONTAIN, case_id, NULL, now + demo_after(d, contain_s,
	    contain_s * 2));
	demo_schedule(d, STEP_CLOSE, case_id, NULL, now + demo_after(d, close_s, close_s * 8 / 3));
}

/*
 * The hub opened CASE_ID for one of our reports: plan its life. Every case
 * ends closed: a case that asked for a team and got one closes after the
 * team is back, and one no team was free for is worked from the floor
 * (DEMO_DISPATCH_TRIES). A case above Low is contained first, and its
 * level lowered to Low, as a handler re-scores an incident under control:
 * so the floor's levels come down as its work gets done, not only when
 * its cases close.
 */
void
bus_demo_opened(struct bus_demo *d, const char *case_id, int level, int onsite, int64_t now)
{
	demo_schedule(d, STEP_ACK, case_id, NULL, now + demo_after(d, 2, 15));
	demo_schedule(d, STEP_ASSIGN, case_id, NULL, now + demo_after(d, 5, 25));
	demo_schedule(d, STEP_INVESTIGATE, case_id, NULL, now + demo_after(d, 30, 60));
	if (level >= 3 && onsite) {
		demo_schedule(d, STEP_DISPATCH, case_id, NULL, now + demo_after(d, 40, 80));
		return;
	}
	if (demo_pick(d, 2) == 0)
		demo_schedule(d, STEP_ANALYSIS, case_id, NULL, now + demo_after(d, 70, 120));
	if (level >= 2)
		demo_wind_down(d, case_id, now, 40, 150);
	else
		demo_schedule(d, STEP_CLOSE, case_id, NULL, now + demo_after(d, 150, 400));
}

static void
demo_op(struct bus_demo_action *a, const char *op, const char *user, json_t *args)
{
	a->op = op;
	a->topic = NULL;
	a->user = user;
	a->args = args;
}

/* Turn a due step into an action (and plan what follows it). */
static int
demo_step_action(struct bus_demo *d, struct demo_step *s, int64_t now, struct bus_demo_action *a)
{
	int t;

	switch (s->kind) {
	case STEP_ACK:
		demo_op(a, "ack", "okafor", json_pack("{s:s}", "case", s->case_id));
		return 1;
	case STEP_ASSIGN:
		demo_op(a, "assign", "chen", json_pack("{s:s, s:s}", "case", s->case_id, "handler",
		    demo_officers[demo_pick(d, 3)]));
		return 1;
	case STEP_INVESTIGATE:
	case STEP_ANALYSIS:
	case STEP_FOLLOWUP:
		demo_op(a, "status", "chen", json_pack("{s:s, s:s}", "case", s->case_id, "status",
		    s->kind == STEP_INVESTIGATE ? "investigating" :
		    s->kind == STEP_ANALYSIS ? "analysis" : "followup"));
		return 1;
	case STEP_DISPATCH:
		for (t = 0; t < DEMO_NTEAMS && d->team_busy[t]; t++)
			;
		if (t == DEMO_NTEAMS && s->tries + 1 >= DEMO_DISPATCH_TRIES) {
			/* No team for a long while: the floor supports the
			 * organisation remotely, and the case winds down. */
			demo_wind_down(d, s->case_id, now, 20, 150);
			return 0;
		}
		if (t == DEMO_NTEAMS) {
			/* No team free: try again later, as a lead would. */
			demo_schedule(d, STEP_DISPATCH, s->case_id, NULL,
			    now + demo_after(d, 20, 40))->tries = s->tries + 1;
			return 0;
		}
		d->team_busy[t] = 1;
		demo_schedule(d, STEP_ENROUTE, s->case_id, demo_teams[t], now + demo_after(d, 5, 15));
		demo_op(a, "dispatch", "hayes", json_pack("{s:s, s:s}", "team", demo_teams[t],
		    "case", s->case_id));
		return 1;
	case STEP_ENROUTE:
	case STEP_ONSITE:
	case STEP_RETURNING:
	case STEP_AVAILABLE: {
		static const char *const status[] = { [STEP_ENROUTE] = "enroute",
			[STEP_ONSITE] = "onsite", [STEP_RETURNING] = "returning",
			[STEP_AVAILABLE] = "available" };
		if (s->kind == STEP_ENROUTE)
			demo_schedule(d, STEP_ONSITE, s->case_id, s->team, now + demo_after(d, 10, 30));
		else if (s->kind == STEP_ONSITE)
			demo_schedule(d, STEP_RETURNING, s->case_id, s->team, now + demo_after(d, 40, 120));
		else if (s->kind == STEP_RETURNING) {
			demo_schedule(d, STEP_AVAILABLE, s->case_id, s->team, now + demo_after(d, 10, 30));
			demo_wind_down(d, s->case_id, now, 10, 60);
		} else {
			for (t = 0; t < DEMO_NTEAMS; t++)
				if (strcmp(demo_teams[t], s->team) == 0)
					d->team_busy[t] = 0;
		}
		demo_op(a, "team", "hayes", json_pack("{s:s, s:s}", "team", s->team, "status",
		    status[s->kind]));
		return 1;
	}
	case STEP_CONTAIN:
		demo_op(a, "level", "chen", json_pack("{s:s, s:i}", "case", s->case_id, "level", 1));
		return 1;
	case STEP_CLOSE:
		demo_op(a, "close", "chen", json_pack("{s:s, s:s}", "case", s->case_id, "reason",
		    "Reports delivered; the organisation needs no further support."));
		return 1;
	}
	return 0;
}

/*
 * The next report, intel item or sensor alert: 8% of events are reports,
 * 15% intel, the rest alerts. Reports are what stay on the floor (each
 * case lives some minutes, steps above), so their share sets how many
 * cases are open: at the console's demo rate (1.5 a second, lifecycles at
 * three times life) ten to twenty. The burst a floor opens with is half
 * reports, so that a newcomer sees cases at once.
 */
static void
demo_event(struct bus_demo *d, struct bus_demo_action *a)
{
	int r = demo_pick(d, 100), sector = demo_pick(d, BUS_NSECTORS);
	int report = d->opening > 0 ? 50 : 8, intel = d->opening > 0 ? 25 : 15;

	if (r < report) {
		int level = demo_level(d);
		char title[160], ref[32];
		snprintf(title, sizeof title, demo_titles[demo_pick(d, (int)(sizeof demo_titles /
		    sizeof demo_titles[0]))], 2 + demo_pick(d, 1700));
		snprintf(ref, sizeof ref, "demo-%d-%d", (int)(d->rng & 0xffff), ++d->reports);
		json_t *body = json_pack("{s:s, s:s, s:s, s:i, s:s, s:b}", "title", title,
		    "org", demo_orgs[sector][demo_pick(d, 3)], "sector", bus_sectors[sector].id,
		    "level", level, "ref", ref, "onsite_requested", level >= 3 && demo_pick(d, 3) > 0);
		demo_op(a, "report", "chen", json_pack("{s:s, s:o}", "topic", "incident", "body",
		    body));
	} else if (r < report + intel) {
		int i = d->intel_next++ % (int)(sizeof demo_intel / sizeof demo_intel[0]);
		json_t *sectors = json_array();
		json_array_append_new(sectors, json_string(bus_sectors[sector].id));
		if (demo_pick(d, 2) == 0)
			json_array_append_new(sectors, json_string(bus_sectors[demo_pick(d, BUS_NSECTORS)].id));
		a->op = NULL;
		a->topic = "intel";
		a->user = NULL;
		a->args = json_pack("{s:s, s:s, s:s, s:s, s:o}", "title", demo_intel[i].title,
		    "source", demo_intel[i].source, "kind", demo_intel[i].kind, "tlp",
		    demo_tlp[demo_pick(d, (int)(sizeof demo_tlp / sizeof demo_tlp[0]))], "sectors", sectors);
	} else {
		char sensor[48];
		snprintf(sensor, sizeof sensor, "s-%s-%02d", bus_sectors[sector].id,
		    1 + demo_pick(d, DEMO_SENSORS_PER_SECTOR));
		a->op = NULL;
		a->topic = "sensor";
		a->user = NULL;
		a->args = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "sensor", sensor, "kind", "alert",
		    "sector", bus_sectors[sector].id, "level", demo_alert_level(d),
		    "signature", demo_signatures[demo_pick(d,
		    (int)(sizeof demo_signatures / sizeof demo_signatures[0]))], "src", "203.0.113.7");
	}
}

/* Everything due by NOW, at most MAX actions. */
size_t
bus_demo_due(struct bus_demo *d, int64_t now, struct bus_demo_action *out, size_t max)
{
	size_t n = 0;

	/* Heartbeats: one sensor at a time, all of them every few seconds,
	 * except the one that has gone silent for a while. */
	if (now >= d->next_silence && d->silent < 0) {
		d->silent = demo_pick(d, DEMO_NSENSORS);
		d->silent_until = now + demo_real(d, 45, 60);
		d->next_silence = d->silent_until + demo_real(d, 60, 120);
	} else if (d->silent >= 0 && now >= d->silent_until)
		d->silent = -1;
	while (n < max && now >= d->next_heartbeat) {
		int i = d->hb_index++ % DEMO_NSENSORS;
		d->next_heartbeat += DEMO_HEARTBEAT_MS / DEMO_NSENSORS;
		if (i == d->silent)
			continue;
		char sensor[48];
		snprintf(sensor, sizeof sensor, "s-%s-%02d", bus_sectors[i / DEMO_SENSORS_PER_SECTOR].id,
		    1 + i % DEMO_SENSORS_PER_SECTOR);
		out[n].op = NULL;
		out[n].topic = "sensor";
		out[n].user = NULL;
		out[n].args = json_pack("{s:s, s:s, s:s}", "sensor", sensor, "kind", "heartbeat",
		    "sector", bus_sectors[i / DEMO_SENSORS_PER_SECTOR].id);
		n++;
	}
	while (n < max && now >= d->next_event) {
		demo_event(d, &out[n++]);
		/* Exponential gaps at the mean rate: a floor's traffic comes in
		 * clumps, not on a metronome. */
		double u = (double)(demo_rand(d) % 1000000 + 1) / 1000001.0;
		double rate = d->opening > 0 ? d->rate * 10 : d->rate;
		if (d->opening > 0)
			d->opening--;
		d->next_event += (int64_t)(-__builtin_log(u) * 1000.0 / rate) + 1;
	}
	for (int i = 0; i < d->nsteps && n < max;) {
		if (d->steps[i].due > now) {
			i++;
			continue;
		}
		struct demo_step s = d->steps[i];
		d->steps[i] = d->steps[--d->nsteps];
		if (demo_step_action(d, &s, now, &out[n]))
			n++;
	}
	return n;
}

/* When something is next due. */
int64_t
bus_demo_next(const struct bus_demo *d)
{
	int64_t next = d->next_event < d->next_heartbeat ? d->next_event : d->next_heartbeat;

	for (int i = 0; i < d->nsteps; i++)
		if (d->steps[i].due < next)
			next = d->steps[i].due;
	return next;
}

/* Send everything due: ingest traffic on PUSH, ops on the DEALER. */
size_t
bus_demo_send_due(struct bus_demo *d, void *push, void *ctl, int64_t now)
{
	struct bus_demo_action acts[64];
	size_t n = bus_demo_due(d, now, acts, 64);

	for (size_t i = 0; i < n; i++) {
		struct bus_demo_action *a = &acts[i];
		char *body;
		if (a->op == NULL) {
			body = bus_codec_encode(a->args);
			struct bus_frame f[2] = { { a->topic, strlen(a->topic) }, { body, strlen(body) } };
			bus_sock_send(push, f, 2, ZMQ_DONTWAIT);
		} else {
			long id = ++d->next_id;
			char ids[32];
			snprintf(ids, sizeof ids, "demo-%ld", id);
			if (strcmp(a->op, "report") == 0) {
				json_t *b = json_object_get(a->args, "body");
				d->pending[id % 256].id = id;
				d->pending[id % 256].level = (int)json_integer_value(json_object_get(b, "level"));
				d->pending[id % 256].onsite = json_is_true(json_object_get(b, "onsite_requested"));
			}
			json_object_set_new(a->args, "op", json_string(a->op));
			json_object_set_new(a->args, "id", json_string(ids));
			json_object_set_new(a->args, "user", json_string(a->user));
			body = bus_codec_encode(a->args);
			struct bus_frame f[2] = { { "request", 7 }, { body, strlen(body) } };
			bus_sock_send(ctl, f, 2, ZMQ_DONTWAIT);
		}
		free(body);
		json_decref(a->args);
		d->sent++;
	}
	return n;
}

/* A reply on the DEALER: a reported case's id starts its lifecycle. */
void
bus_demo_reply(struct bus_demo *d, const struct bus_frame *frames, size_t n, int64_t now)
{
	json_t *r = n == 2 ? json_loadb(frames[1].data, frames[1].size, 0, NULL) : NULL;
	const char *rid = json_string_value(json_object_get(r, "id"));
	const char *object = json_string_value(json_object_get(r, "object"));
	long id = rid != NULL && strncmp(rid, "demo-", 5) == 0 ? strtol(rid + 5, NULL, 10) : 0;

	if (!json_is_true(json_object_get(r, "ok")))
		d->refused++; /* a race with people on the floor: fine */
	else if (object != NULL && strncmp(object, "case.", 5) == 0 && id > 0 &&
	    d->pending[id % 256].id == id)
		bus_demo_opened(d, object + 5, d->pending[id % 256].level,
		    d->pending[id % 256].onsite, now);
	json_decref(r);
}

unsigned long
bus_demo_sent(const struct bus_demo *d)
{
	return d->sent;
}

unsigned long
bus_demo_refused(const struct bus_demo *d)
{
	return d->refused;
}
