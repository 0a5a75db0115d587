"""Infrastructure adapters: the database engine, RQ queues, the Redis spool, rate limits, USSD
state, and the providers' senders."""
