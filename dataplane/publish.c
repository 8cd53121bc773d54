/* publish.c -- swaps the active pattern set: publish, wait a grace period,
 * free the old one. */
#include <urcu/urcu-qsbr.h>

#include "publish.h"

struct pat_set *dp_active_set;

void
dp_publish(struct pat_set *next)
{
	struct pat_set *prev = rcu_xchg_pointer(&dp_active_set, next);

	/* Every worker passes a quiescent state once per burst, so this
	 * returns within a burst of the slowest worker. */
	urcu_qsbr_synchronize_rcu();
	pat_set_free(prev);
}
