package com.proxyvault.platform.events;

/**
 * Marks a handler's failure as a refusal that every retry of the same event meets again (a business rule said no:
 * a refund the ledger does not back, say), as PostgreSQL's SQLSTATE classes 22/23/42 mark the database's
 * ({@link EventConsumer#isDeterministic}): the event gets one retry, not the whole retry policy, and is parked. The
 * consumer holds its partition while it retries, so such an event delayed every later event of that partition by the
 * policy's back-off: ~70 s of other resellers' refunds in billing (new-user review 5, finding 3).
 */
public interface Refusal {
}
