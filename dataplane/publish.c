/* publish.c -- swaps the active pattern set: publish, wait a grace
 * period, hand the old one back. */
#include <urcu/urcu-qsbr.h>

#include "publish.h"

struct pat_set *dp_active_set;

struct pat_set *
dp_publish(struct pat_set *next)
{
	struct pat_set *prev = rcu_xchg_pointer(&dp_active_set, next);

	/* Every worker passes a quiescent state once per burst, so this
	 * returns within a burst of the slowest worker. */
	urcu_qsbr_synchronize_rcu();
	return prev;
}
