/* Server state: clients, sessions, stateids, opens, locks, leases.
 *
 * Lock order (outermost first), to be extended as tables are added:
 *   1. client table lock
 *   2. a client's lock
 *   3. a file's state lock
 * No lock of this module is held across a back-end call. */
#ifndef FERRY_STATE_STATE_H
#define FERRY_STATE_STATE_H

#endif
