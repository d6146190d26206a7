-- A fingerprint change in flight, across replicas (docs/fleet.md "Fingerprint change while one runs"): the change is
-- sent to the agent first and stored only after its ok, so two changes at once could reach the agent in one order
-- and the row in the other, leaving the proxy presenting one profile while every answer showed the other; and a
-- connect during a change re-opened the listener with the profile it read before the change was stored. Set by the
-- change's claim (one conditional update), cleared by the statement that stores the profile (or by its failure);
-- a lease, so a replica that dies mid-change holds nothing for longer than the command can take.
alter table proxies add column fingerprint_until timestamp;
