-- An operator can drain a modem (issue 8, item 8): it keeps serving its proxies but gets no new ones.
alter table modems add column draining boolean not null default false;
