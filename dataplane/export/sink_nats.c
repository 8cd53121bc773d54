/* sink_nats.c -- the NATS JetStream transport of a sink, with the NATS C
 * client (libnats): each record goes to SUBJECT.SITE.TYPE with its event
 * id as Nats-Msg-Id, and is delivered once JetStream acknowledged it
 * (stored in a stream). The client's own reconnection is off: the sink's
 * thread reconnects with its backoff and spools meanwhile, as for TCP. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#include "common.h"
#include "nats_connect.h"
#include "sink.h"
#include "sink_transport.h"
#include "text.h"

#define NATS_ID_MAX 63                 /* bytes of an event id */
#define NATS_SUBJECT_MAX (EXP_SINK_SUBJECT_MAX + EXP_SINK_SITE_MAX + 40)
/* A batch is published at once and its acknowledgments awaited: one
 * round trip per batch, so up to SINK_BATCH_RECORDS records of an ECS
 * event's 1 to 2 KB. */
#define NATS_BATCH_BYTES (1u << 20)

enum nats_ack { NATS_ACK_PENDING, NATS_ACK_OK, NATS_ACK_FAILED };

/* The connection and the batch waiting for its acknowledgments; the ack
 * handler runs on a libnats thread, so what it writes is under lock. */
struct sink_nats {
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	char password[EXP_NATS_PASSWORD_MAX + 1];
	pthread_mutex_t lock;
	pthread_cond_t acked;          /* pending went down */
	char ids[SINK_BATCH_RECORDS][NATS_ID_MAX + 1];
	uint8_t ack[SINK_BATCH_RECORDS];
	unsigned int n, pending;
	char failure[160];             /* the first negative ack's text */
};

/* A record's header, "TYPE ID\n" (exp_sink_nats_record()): the type and
 * the id as spans of rec; the event after it. -EINVAL when malformed. */
struct nats_record {
	const char *type, *id, *event;
	size_t type_len, id_len, event_len;
};

static bool
token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int
nats_record_split(const unsigned char *rec, size_t len, struct nats_record *r)
{
	const char *s = (const char *)rec;
	const char *nl = memchr(s, '\n', len);
	const char *sp;

	if (nl == NULL)
		return -EINVAL;
	sp = memchr(s, ' ', (size_t)(nl - s));
	if (sp == NULL || sp == s || nl - sp - 1 < 1 ||
	    nl - sp - 1 > NATS_ID_MAX)
		return -EINVAL;
	r->type = s;
	r->type_len = (size_t)(sp - s);
	r->id = sp + 1;
	r->id_len = (size_t)(nl - sp - 1);
	r->event = nl + 1;
	r->event_len = len - (size_t)(nl + 1 - s);
	for (size_t i = 0; i < r->type_len; i++)
		if (!token_char(r->type[i]))
			return -EINVAL;
	for (size_t i = 0; i < r->id_len; i++)
		if ((unsigned char)r->id[i] <= 0x20 || r->id[i] == 0x7f)
			return -EINVAL;
	return 0;
}

int
exp_sink_nats_record(struct exp_buffer *out, const char *type,
		     const char *id, const void *event, size_t len)
{
	size_t type_len = strlen(type), id_len = strlen(id);

	if (type_len == 0 || id_len == 0 || id_len > NATS_ID_MAX)
		return -EINVAL;
	for (size_t i = 0; i < type_len; i++)
		if (!token_char(type[i]))
			return -EINVAL;
	exp_buffer_reset(out);
	if (exp_buffer_append(out, type, type_len) != 0 ||
	    exp_buffer_append(out, " ", 1) != 0 ||
	    exp_buffer_append(out, id, id_len) != 0 ||
	    exp_buffer_append(out, "\n", 1) != 0 ||
	    exp_buffer_append(out, event, len) != 0)
		return -ENOMEM;
	return 0;
}

static void
nats_why(struct sink_conn *c, const char *doing, natsStatus s)
{
	exp_nats_why(c->why, sizeof(c->why), doing, c->peer, s);
}

static void
nats_name_peer(struct sink_conn *c)
{
	exp_nats_url(c->cfg, c->peer, sizeof(c->peer));
}

/* The client's options for the sink: no reconnection of its own. */
static int
nats_options_for_sink(const struct exp_sink_config *cfg, struct sink_nats *n,
		      struct error_detail *err)
{
	char name[EXP_SINK_NAME_MAX + 16];

	snprintf(name, sizeof(name), "iocsift %s", cfg->name);
	return exp_nats_options_make(cfg, name, false, &n->opts, n->password,
				     err);
}

static void
nats_free(struct sink_nats *n)
{
	if (n == NULL)
		return;
	natsOptions_Destroy(n->opts);
	explicit_bzero(n->password, sizeof(n->password));
	pthread_cond_destroy(&n->acked);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* The sink's state with its client options. NULL with err. */
static struct sink_nats *
nats_new(const struct exp_sink_config *cfg, struct error_detail *err)
{
	struct sink_nats *n = calloc(1, sizeof(*n));

	if (n == NULL) {
		error_detail_set(err, "", 0, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->acked, NULL);
	if (nats_options_for_sink(cfg, n, err) != 0) {
		nats_free(n);
		return NULL;
	}
	return n;
}

int
exp_sink_check_nats(const struct exp_sink_config *cfg,
		    struct error_detail *err)
{
	struct sink_nats *n = nats_new(cfg, err);

	if (n == NULL)
		return -EINVAL;
	nats_free(n);
	return 0;
}

static int
nats_setup(struct sink_conn *c, const char **warning, struct error_detail *err)
{
	*warning = NULL;
	c->nats = nats_new(c->cfg, err);
	if (c->nats == NULL)
		return -EINVAL;
	if (c->cfg->nats_tls && !c->cfg->verify)
		*warning = "verify=no: the NATS server's certificate is not "
			"checked";
	return 0;
}

static void
nats_teardown(struct sink_conn *c)
{
	nats_free(c->nats);
	c->nats = NULL;
}

/* Called by libnats for each acknowledgment, positive or not. */
static void
nats_acked(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae,
	   void *closure)
{
	struct sink_nats *n = closure;
	const char *id = NULL;

	(void)js;
	if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK &&
	    id != NULL) {
		pthread_mutex_lock(&n->lock);
		for (unsigned int i = 0; i < n->n; i++) {
			if (n->ack[i] != NATS_ACK_PENDING ||
			    strcmp(n->ids[i], id) != 0)
				continue;
			n->ack[i] = pa != NULL ? NATS_ACK_OK : NATS_ACK_FAILED;
			n->pending--;
			pthread_cond_signal(&n->acked);
			if (pa == NULL && n->failure[0] == '\0')
				snprintf(n->failure, sizeof(n->failure), "%s",
					 pae != NULL && pae->ErrText != NULL ?
					 pae->ErrText : pae != NULL ?
					 natsStatus_GetText(pae->Err) :
					 "no acknowledgment");
			break;
		}
		pthread_mutex_unlock(&n->lock);
	}
	natsMsg_Destroy(msg);
}

/* Makes the stream (subject.>) if the sink names one that is missing. */
static int
nats_stream_ensure(struct sink_conn *c)
{
	const struct exp_sink_config *cfg = c->cfg;
	struct sink_nats *n = c->nats;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	char subjects[EXP_SINK_SUBJECT_MAX + 3];
	const char *list[1] = { subjects };
	jsStreamConfig sc;

	if (cfg->stream[0] == '\0')
		return 0;
	s = js_GetStreamInfo(&si, n->js, cfg->stream, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	if (s == NATS_OK)
		return 0;
	if (s != NATS_NOT_FOUND) {
		nats_why(c, "asking for the stream on", s);
		return -EIO;
	}
	snprintf(subjects, sizeof(subjects), "%s.>", cfg->subject);
	jsStreamConfig_Init(&sc);
	sc.Name = cfg->stream;
	sc.Subjects = list;
	sc.SubjectsLen = 1;
	sc.Storage = js_FileStorage;
	si = NULL;
	s = js_AddStream(&si, n->js, &sc, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	if (s != NATS_OK) {
		nats_why(c, "making the stream on", s);
		return -EIO;
	}
	return 0;
}

static void
nats_close(struct sink_conn *c)
{
	struct sink_nats *n = c->nats;

	if (n == NULL)
		return;
	if (n->js != NULL) {
		natsMsgList pending;
		if (js_PublishAsyncGetPendingList(&pending, n->js) == NATS_OK)
			natsMsgList_Destroy(&pending);
		jsCtx_Destroy(n->js);
		n->js = NULL;
	}
	if (n->nc != NULL) {
		natsConnection_Close(n->nc);
		natsConnection_Destroy(n->nc);
		n->nc = NULL;
	}
}

static int
nats_open(struct sink_conn *c)
{
	struct sink_nats *n = c->nats;
	jsOptions jo;
	natsStatus s;

	if (__atomic_load_n(c->stopping, __ATOMIC_RELAXED))
		return -ECANCELED;
	s = natsConnection_Connect(&n->nc, n->opts);
	if (s != NATS_OK) {
		nats_why(c, "connecting to", s);
		n->nc = NULL;
		return s == NATS_TIMEOUT ? -ETIMEDOUT : -ECONNREFUSED;
	}
	jsOptions_Init(&jo);
	jo.Wait = SINK_IO_TIMEOUT_MS;
	jo.PublishAsync.MaxPending = SINK_BATCH_RECORDS;
	jo.PublishAsync.AckHandler = nats_acked;
	jo.PublishAsync.AckHandlerClosure = n;
	s = natsConnection_JetStream(&n->js, n->nc, &jo);
	if (s != NATS_OK) {
		nats_why(c, "JetStream on", s);
		nats_close(c);
		return -EIO;
	}
	if (nats_stream_ensure(c) != 0) {
		nats_close(c);
		return -EIO;
	}
	return 0;
}

/* Waits until every record published is acknowledged, the connection
 * drops, the sink stops or SINK_IO_TIMEOUT_MS pass. Under n->lock. */
static void
nats_wait_acks(struct sink_conn *c, struct sink_nats *n)
{
	uint64_t deadline = monotonic_ms() + SINK_IO_TIMEOUT_MS;

	while (n->pending > 0 && monotonic_ms() < deadline &&
	       !__atomic_load_n(c->stopping, __ATOMIC_RELAXED) &&
	       natsConnection_Status(n->nc) == NATS_CONN_STATUS_CONNECTED) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 100 * 1000000L;   /* a look at the rest */
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&n->acked, &n->lock, &t);
	}
}

/* Publishes records first.. of b, up to one the transport cannot read,
 * and waits for their acknowledgments: *done is how many, from first,
 * were stored (a record acknowledged after one that was not is sent again
 * and deduplicated by its Nats-Msg-Id). */
static int
nats_write(struct sink_conn *c, const struct sink_batch *b,
	   unsigned int first, unsigned int *done)
{
	const struct exp_sink_config *cfg = c->cfg;
	struct sink_nats *n = c->nats;
	unsigned int count = 0;
	bool malformed = false;
	char subject[NATS_SUBJECT_MAX];
	natsStatus s = NATS_OK;

	*done = 0;
	pthread_mutex_lock(&n->lock);
	n->n = n->pending = 0;
	n->failure[0] = '\0';
	pthread_mutex_unlock(&n->lock);
	for (unsigned int i = first; i < b->n; i++) {
		size_t start = sink_batch_start(b, i);
		struct nats_record r;
		natsMsg *msg = NULL;
		jsPubOptions po;

		if (nats_record_split(b->data + start, b->ends[i] - start,
				      &r) != 0 || r.event_len > INT32_MAX) {
			malformed = true;
			break;
		}
		snprintf(subject, sizeof(subject), "%s.%s.%.*s", cfg->subject,
			 cfg->site, (int)r.type_len, r.type);
		pthread_mutex_lock(&n->lock);
		snprintf(n->ids[count], sizeof(n->ids[count]), "%.*s",
			 (int)r.id_len, r.id);
		n->ack[count] = NATS_ACK_PENDING;
		n->n = count + 1;
		n->pending++;
		pthread_mutex_unlock(&n->lock);
		s = natsMsg_Create(&msg, subject, NULL, r.event,
				   (int)r.event_len);
		if (s == NATS_OK)
			s = natsMsgHeader_Set(msg, "Nats-Msg-Id", n->ids[count]);
		if (s == NATS_OK) {
			jsPubOptions_Init(&po);
			po.MaxWait = SINK_IO_TIMEOUT_MS;
			s = js_PublishMsgAsync(n->js, &msg, &po);
		}
		natsMsg_Destroy(msg);
		if (s != NATS_OK) {
			pthread_mutex_lock(&n->lock);
			n->n = count;          /* it never went */
			n->pending--;
			pthread_mutex_unlock(&n->lock);
			break;
		}
		count++;
	}
	pthread_mutex_lock(&n->lock);
	nats_wait_acks(c, n);
	while (*done < count && n->ack[*done] == NATS_ACK_OK)
		(*done)++;
	bool refused = *done < count && n->ack[*done] == NATS_ACK_FAILED;
	n->n = n->pending = 0;         /* late acknowledgments find nothing */
	pthread_mutex_unlock(&n->lock);
	if (*done == count && s == NATS_OK) {
		if (!malformed)
			return 0;
		snprintf(c->why, sizeof(c->why), "a record of the NATS sink "
			 "without its \"TYPE ID\" line");
		return -EMSGSIZE;
	}
	if (__atomic_load_n(c->stopping, __ATOMIC_RELAXED))
		return -ECANCELED;
	if (refused) {
		/* "no responders": no stream takes the subject. */
		snprintf(c->why, sizeof(c->why), "JetStream on %.300s refused "
			 "%s.%s.*: %s", c->peer, cfg->subject, cfg->site,
			 n->failure);
		return -EIO;
	}
	if (s != NATS_OK) {
		nats_why(c, "publishing to", s);
		return -EIO;
	}
	if (natsConnection_Status(n->nc) != NATS_CONN_STATUS_CONNECTED) {
		snprintf(c->why, sizeof(c->why), "connection to %s lost",
			 c->peer);
		return -ESHUTDOWN;
	}
	snprintf(c->why, sizeof(c->why), "JetStream on %s: no acknowledgment "
		 "in %u s", c->peer, SINK_IO_TIMEOUT_MS / 1000);
	return -ETIMEDOUT;
}

static int
nats_check(struct sink_conn *c)
{
	struct sink_nats *n = c->nats;

	if (n->nc == NULL ||
	    natsConnection_Status(n->nc) != NATS_CONN_STATUS_CONNECTED) {
		snprintf(c->why, sizeof(c->why), "connection to %s lost",
			 c->peer);
		return -ESHUTDOWN;
	}
	return 0;
}

static void
nats_describe(struct sink_conn *c, char *buf, size_t size)
{
	snprintf(buf, size, "JetStream, subject %s.%s.TYPE%s%s%s",
		 c->cfg->subject, c->cfg->site,
		 c->cfg->stream[0] != '\0' ? ", stream " : "",
		 c->cfg->stream, c->cfg->nats_tls ? ", TLS" : "");
}

const struct sink_transport sink_transport_nats = {
	.framing = SINK_FRAME_NONE,
	.confirms = false,             /* a write returns once acknowledged */
	.reopens = false,
	.open_verb = "connected to",
	.batch_bytes = NATS_BATCH_BYTES,
	.name_peer = nats_name_peer,
	.setup = nats_setup,
	.teardown = nats_teardown,
	.open = nats_open,
	.write = nats_write,
	.check = nats_check,
	.close = nats_close,
	.describe = nats_describe,
};
