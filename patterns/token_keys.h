/* token_keys.h -- which 64-bit "token keys" a message has, and which one
 * an indicator needs among them to be able to hit it: the history's block
 * filters (dataplane/history) hold the keys of the messages of a block, and
 * a retro-hunt opens only the blocks whose filter may hold the key of one
 * of its indicators.
 *
 * The one promise, for every pattern set S, message M and indicator i of S:
 * if the matcher (match.c) hits i in M and pat_keys_indicator(i, &k) == 1,
 * then k is among the keys of M. More keys than the matcher needs are
 * allowed (a false positive only opens a block); fewer never.
 *
 * Keys, each kind hashed with a seed of its own (docs/matching.md, "Token
 * keys of the history"):
 *   domain    every suffix of two labels or more (at most 253 bytes) of a
 *             dotted name run (text) or DNS name, any case, outer dots
 *             dropped; none when the last label is all digits. A URL
 *             indicator needs its host's key, a domain indicator its own.
 *   file name every prefix of a name run holding a '.' that follows the
 *             start, / \ space tab " ' or =, ending at the run's end or
 *             before a '.' not followed by a letter or digit, any case;
 *             none for a prefix of digits and dots only.
 *   digest    every alphanumeric run of 32, 40 or 64 hex digits, any case.
 *   address   every IPv4 address in text or an A answer under /8 /16 /24
 *             /32, every IPv6 one in text or an AAAA answer under /16 /32
 *             /48 /64 /128; a CIDR needs the key of the longest of these
 *             lengths that is not longer than its prefix.
 * A syslog line has 0 to about 15 keys (1.2 to 13.5 on average over the
 * logs of docs/performance.md), some of them repeated. No allocation, no
 * state: any thread may call these at any time. */
#ifndef IOCSIFT_PATTERNS_TOKEN_KEYS_H
#define IOCSIFT_PATTERNS_TOKEN_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "indicator.h"

/* Called once per key found (a key may come more than once). */
typedef void (*pat_key_fn)(void *ctx, uint64_t key);

/* Every key a syslog message or log line (or a malformed DNS message
 * flattened to text) may be hit through, as pat_match_text() reads it.
 * Returns how many times fn was called. */
size_t pat_keys_text(const uint8_t *text, size_t len, pat_key_fn fn,
		     void *ctx);

/* A DNS name in dotted form (a qname or an answer name), as
 * pat_match_dns_name() reads it. Returns how many times fn was called. */
size_t pat_keys_dns_name(const char *name, size_t len, pat_key_fn fn,
			 void *ctx);

/* An address from a DNS answer, as pat_match_address() reads it: family
 * 4 (4 bytes) or 6 (16 bytes); any other family has no key. Returns how
 * many times fn was called. */
size_t pat_keys_address(int family, const uint8_t *addr, pat_key_fn fn,
			void *ctx);

/* The key ind needs among a message's keys to hit it: 1 and *key, or 0
 * when no key rules it out and a hunt must open every block for it:
 * regexes; domains of a single label or a last label of digits only;
 * URLs whose host is not such a dotted name run; file names without a
 * '.', with a byte other than a letter, digit, '-', '_' or '.', or of
 * digits and dots only; IPv4 CIDRs shorter than /8 and IPv6 ones shorter
 * than /16. */
int pat_keys_indicator(const struct pat_indicator *ind, uint64_t *key);

#endif
