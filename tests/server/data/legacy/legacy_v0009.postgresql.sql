--
-- PostgreSQL database dump
--

\restrict ogGCu4klMSrR07pLqqo5B3MutxUcdbENr5NDA2hdbsbkfleq388AHb1QvCCA0yE

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: spaps_legacy_fixture; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA spaps_legacy_fixture;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: api_keys; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.api_keys (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    key_hash character varying(64) NOT NULL,
    prefix character varying(32) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone
);


--
-- Name: application_redirect_origins; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.application_redirect_origins (
    application_id character varying(64) NOT NULL,
    origin character varying(300) NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: applications; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.applications (
    id character varying(64) NOT NULL,
    name character varying(200) NOT NULL,
    is_default boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone
);


--
-- Name: balance_entries; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.balance_entries (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    user_id character varying(64) NOT NULL,
    amount character varying(40) NOT NULL,
    currency character varying(8) NOT NULL,
    source_type character varying(32) NOT NULL,
    source_id character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: checkout_sessions; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.checkout_sessions (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    user_id character varying(64),
    is_guest boolean NOT NULL,
    customer_email character varying(320),
    mode character varying(16) NOT NULL,
    status character varying(16) NOT NULL,
    payment_status character varying(32) NOT NULL,
    currency character varying(3) NOT NULL,
    amount_total bigint NOT NULL,
    line_items json NOT NULL,
    success_url text NOT NULL,
    cancel_url text NOT NULL,
    client_reference_id character varying(200),
    metadata json NOT NULL,
    payment_intent_id character varying(64),
    subscription_id character varying(64),
    pending_authentication boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone
);


--
-- Name: crypto_invoice_payments; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.crypto_invoice_payments (
    id character varying(64) NOT NULL,
    invoice_id character varying(64) NOT NULL,
    amount character varying(40) NOT NULL,
    transaction_hash character varying(128) NOT NULL,
    received_at timestamp with time zone NOT NULL
);


--
-- Name: crypto_invoices; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.crypto_invoices (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    user_id character varying(64) NOT NULL,
    asset character varying(16) NOT NULL,
    network character varying(32) NOT NULL,
    amount character varying(40) NOT NULL,
    received_amount character varying(40) NOT NULL,
    status character varying(16) NOT NULL,
    metadata json NOT NULL,
    beneficiary json,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    finalized_at timestamp with time zone
);


--
-- Name: crypto_reconcile_jobs; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.crypto_reconcile_jobs (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    scheduled_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone NOT NULL,
    last_invoice_id character varying(64),
    invoices_checked integer NOT NULL,
    invoices_expired integer NOT NULL,
    has_more boolean NOT NULL
);


--
-- Name: idempotency_keys; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.idempotency_keys (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    caller character varying(128) NOT NULL,
    idempotency_key character varying(255) NOT NULL,
    request_hash character varying(64) NOT NULL,
    state character varying(16) NOT NULL,
    claim_token character varying(64) NOT NULL,
    locked_until timestamp with time zone NOT NULL,
    response_status integer,
    response_body text,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: mail_outbox; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.mail_outbox (
    id character varying(64) NOT NULL,
    application_id character varying(64),
    to_address character varying(320) NOT NULL,
    from_address character varying(320) NOT NULL,
    subject text NOT NULL,
    text_body text NOT NULL,
    html_body text,
    kind character varying(64) NOT NULL,
    metadata json NOT NULL,
    created_at timestamp with time zone NOT NULL,
    delivered_at timestamp with time zone,
    delivery_error text
);


--
-- Name: one_time_tokens; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.one_time_tokens (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    kind character varying(32) NOT NULL,
    token_hash character varying(64) NOT NULL,
    user_id character varying(64),
    email character varying(320),
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone
);


--
-- Name: payment_customers; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.payment_customers (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    user_id character varying(64) NOT NULL,
    base_tier character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: payment_intents; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.payment_intents (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    user_id character varying(64) NOT NULL,
    amount bigint NOT NULL,
    currency character varying(3) NOT NULL,
    payment_method_types json NOT NULL,
    metadata json NOT NULL,
    status character varying(32) NOT NULL,
    client_secret character varying(128) NOT NULL,
    payment_method_id character varying(64),
    decline_code character varying(64),
    decline_message character varying(255),
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: payment_methods; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.payment_methods (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    user_id character varying(64) NOT NULL,
    payment_method_id character varying(64) NOT NULL,
    brand character varying(32) NOT NULL,
    last4 character varying(4) NOT NULL,
    is_default boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: payments; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.payments (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    user_id character varying(64),
    customer_email character varying(320),
    amount bigint NOT NULL,
    currency character varying(3) NOT NULL,
    status character varying(32) NOT NULL,
    description text NOT NULL,
    payment_method_type character varying(32) NOT NULL,
    card_brand character varying(32),
    card_last4 character varying(4),
    failure_code character varying(64),
    invoice_id character varying(64),
    checkout_session_id character varying(64),
    subscription_id character varying(64),
    metadata json NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: prices; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.prices (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    product_id character varying(64) NOT NULL,
    unit_amount bigint NOT NULL,
    currency character varying(3) NOT NULL,
    type character varying(16) NOT NULL,
    "interval" character varying(8),
    interval_count integer NOT NULL,
    nickname character varying(200),
    active boolean NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: products; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.products (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    name character varying(200) NOT NULL,
    description text,
    category character varying(64),
    active boolean NOT NULL,
    images json NOT NULL,
    metadata json NOT NULL,
    default_price_id character varying(64),
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: rate_limit_buckets; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.rate_limit_buckets (
    bucket character varying(64) NOT NULL,
    subject_hash character varying(64) NOT NULL,
    window_start_ms bigint NOT NULL,
    expires_at_ms bigint NOT NULL,
    count integer NOT NULL
);


--
-- Name: refresh_tokens; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.refresh_tokens (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    session_id character varying(64) NOT NULL,
    token_hash character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone
);


--
-- Name: schema_migrations; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.schema_migrations (
    version integer NOT NULL,
    name character varying(200) NOT NULL,
    applied_at timestamp with time zone NOT NULL
);


--
-- Name: secure_messages; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.secure_messages (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    sender_id character varying(64) NOT NULL,
    patient_id character varying(128) NOT NULL,
    practitioner_id character varying(128) NOT NULL,
    key_id character varying(64) NOT NULL,
    nonce bytea NOT NULL,
    ciphertext bytea NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: sessions; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.sessions (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    user_id character varying(64) NOT NULL,
    auth_method character varying(32) NOT NULL,
    user_agent text,
    ip_address character varying(64),
    created_at timestamp with time zone NOT NULL,
    last_activity_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    revoked_reason character varying(64)
);


--
-- Name: subscriptions; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.subscriptions (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    user_id character varying(64),
    customer_email character varying(320),
    customer_id character varying(64),
    item_id character varying(64) NOT NULL,
    price_id character varying(64) NOT NULL,
    product_id character varying(64) NOT NULL,
    quantity integer NOT NULL,
    status character varying(32) NOT NULL,
    current_period_start timestamp with time zone NOT NULL,
    current_period_end timestamp with time zone NOT NULL,
    cancel_at_period_end boolean NOT NULL,
    canceled_at timestamp with time zone,
    ended_at timestamp with time zone,
    checkout_session_id character varying(64),
    metadata json NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: usage_counters; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.usage_counters (
    application_id character varying(64) NOT NULL,
    user_id character varying(64) NOT NULL,
    feature character varying(64) NOT NULL,
    period_start timestamp with time zone NOT NULL,
    period_end timestamp with time zone NOT NULL,
    used double precision NOT NULL
);


--
-- Name: usage_features; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.usage_features (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    feature character varying(64) NOT NULL,
    tier character varying(64) NOT NULL,
    description text,
    limit_value double precision,
    overage character varying(16) NOT NULL,
    overage_unit_price double precision NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: usage_records; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.usage_records (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    user_id character varying(64) NOT NULL,
    feature character varying(64) NOT NULL,
    quantity double precision NOT NULL,
    overage_quantity double precision NOT NULL,
    cost double precision NOT NULL,
    recorded_at timestamp with time zone NOT NULL,
    recorded_on character varying(10) NOT NULL,
    period_start timestamp with time zone NOT NULL,
    metadata json NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: usage_settings; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.usage_settings (
    application_id character varying(64) NOT NULL,
    defaults_applied_at timestamp with time zone NOT NULL
);


--
-- Name: user_wallets; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.user_wallets (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    user_id character varying(64) NOT NULL,
    wallet_address character varying(128) NOT NULL,
    chain_type character varying(32) NOT NULL,
    verified boolean NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: users; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.users (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    email character varying(320),
    username character varying(100),
    phone_number character varying(64),
    password_hash text,
    tier character varying(64) NOT NULL,
    role character varying(64) NOT NULL,
    email_confirmed boolean NOT NULL,
    metadata json NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    last_sign_in_at timestamp with time zone
);


--
-- Name: wallet_deposits; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.wallet_deposits (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    user_id character varying(64) NOT NULL,
    wallet_address character varying(128) NOT NULL,
    chain_type character varying(32) NOT NULL,
    transaction_id character varying(128) NOT NULL,
    amount character varying(40) NOT NULL,
    currency character varying(16) NOT NULL,
    tier character varying(64),
    confirmation_required integer NOT NULL,
    extra_confirmations integer NOT NULL,
    status character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone,
    balance_added character varying(40)
);


--
-- Name: wallet_nonces; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.wallet_nonces (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    wallet_address character varying(128) NOT NULL,
    chain_type character varying(32) NOT NULL,
    nonce character varying(128) NOT NULL,
    message text NOT NULL,
    message_hash character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone
);


--
-- Name: webhook_attempts; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.webhook_attempts (
    id character varying(64) NOT NULL,
    delivery_id character varying(64) NOT NULL,
    attempt_number integer NOT NULL,
    started_at timestamp with time zone NOT NULL,
    succeeded boolean NOT NULL,
    status_code integer,
    latency_ms integer NOT NULL,
    response_snippet text,
    error text
);


--
-- Name: webhook_deliveries; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.webhook_deliveries (
    id character varying(64) NOT NULL,
    event_id character varying(64) NOT NULL,
    endpoint_id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    status character varying(16) NOT NULL,
    attempt_count integer NOT NULL,
    next_attempt_at timestamp with time zone,
    claim_token character varying(64),
    claim_until timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone
);


--
-- Name: webhook_endpoints; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.webhook_endpoints (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    url character varying(2048) NOT NULL,
    description character varying(500),
    created_at timestamp with time zone NOT NULL,
    removed_at timestamp with time zone
);


--
-- Name: webhook_events; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.webhook_events (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    type character varying(100) NOT NULL,
    schema_version integer NOT NULL,
    data json NOT NULL,
    payload text NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: webhook_secrets; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.webhook_secrets (
    application_id character varying(64) NOT NULL,
    secret character varying(128) NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: whitelist_entries; Type: TABLE; Schema: spaps_legacy_fixture; Owner: -
--

CREATE TABLE spaps_legacy_fixture.whitelist_entries (
    id character varying(64) NOT NULL,
    application_id character varying(64) NOT NULL,
    email character varying(320) NOT NULL,
    tier character varying(64) NOT NULL,
    bypass_payment boolean NOT NULL,
    metadata json NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    created_by character varying(64)
);


--
-- Data for Name: api_keys; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.api_keys VALUES ('key_9b05fbddc5212bd19793a76c', 'app_eebe999e3be3eec6375644f7', 'deaf1b023bec2068439b1706d2a609857a27f8d5c6aa27b52b4e878286542a77', 'test_key_local…', '2026-12-01 13:39:32.871751+00', NULL);


--
-- Data for Name: application_redirect_origins; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: applications; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.applications VALUES ('app_eebe999e3be3eec6375644f7', 'default', true, '2026-12-01 13:39:32.866014+00', NULL);


--
-- Data for Name: balance_entries; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: checkout_sessions; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.checkout_sessions VALUES ('cs_test_123', 'app_eebe999e3be3eec6375644f7', 'user_479b4e8ddb2aa0f26fbafb1c', false, 'user@example.com', 'subscription', 'open', 'unpaid', 'usd', 2000, '[{"price_id": "price_plus", "product_id": "prod_plus", "quantity": 1, "unit_amount": 2000, "currency": "usd", "description": "Sweet Potato Plus (Plus monthly)", "interval": "month", "interval_count": 1}]', 'https://example.com/success?session_id={CHECKOUT_SESSION_ID}', 'https://example.com/cancel', 'order_123', '{"app_id": "app_eebe999e3be3eec6375644f7", "source": "seed"}', NULL, NULL, false, '2026-12-01 13:39:33.038853+00', '2026-12-02 13:39:33.038853+00', NULL);


--
-- Data for Name: crypto_invoice_payments; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: crypto_invoices; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: crypto_reconcile_jobs; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: idempotency_keys; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: mail_outbox; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: one_time_tokens; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: payment_customers; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.payment_customers VALUES ('cus_44f7c9a1f4079fdf7e7f9af8', 'app_eebe999e3be3eec6375644f7', 'user_479b4e8ddb2aa0f26fbafb1c', 'basic', '2026-12-01 13:39:32.996032+00');


--
-- Data for Name: payment_intents; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: payment_methods; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: payments; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.payments VALUES ('pi_123', 'app_eebe999e3be3eec6375644f7', 'user_479b4e8ddb2aa0f26fbafb1c', 'user@example.com', 900, 'usd', 'succeeded', 'Monthly subscription', 'card', NULL, NULL, NULL, 'in_123', NULL, 'sub_123', '{"app_id": "app_eebe999e3be3eec6375644f7", "source": "seed"}', '2026-12-01 13:39:33.027825+00');


--
-- Data for Name: prices; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.prices VALUES ('price_123', 'app_eebe999e3be3eec6375644f7', 'prod_123', 900, 'usd', 'recurring', 'month', 1, 'Basic monthly', true, '2026-12-01 13:39:32.927095+00');
INSERT INTO spaps_legacy_fixture.prices VALUES ('price_123_yearly', 'app_eebe999e3be3eec6375644f7', 'prod_123', 9000, 'usd', 'recurring', 'year', 1, 'Basic yearly', true, '2026-12-01 13:39:32.927124+00');
INSERT INTO spaps_legacy_fixture.prices VALUES ('price_plus', 'app_eebe999e3be3eec6375644f7', 'prod_plus', 2000, 'usd', 'recurring', 'month', 1, 'Plus monthly', true, '2026-12-01 13:39:32.949264+00');
INSERT INTO spaps_legacy_fixture.prices VALUES ('price_basic', 'app_eebe999e3be3eec6375644f7', 'prod_basic', 500, 'usd', 'one_time', NULL, 1, 'Starter pack', true, '2026-12-01 13:39:32.95694+00');


--
-- Data for Name: products; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.products VALUES ('prod_123', 'app_eebe999e3be3eec6375644f7', 'Sweet Potato Basic', 'The basic plan, billed monthly or yearly', 'subscription', true, '[]', '{"tier": "basic"}', 'price_123', '2026-12-01 13:39:32.927134+00', '2026-12-01 13:39:32.927134+00');
INSERT INTO spaps_legacy_fixture.products VALUES ('prod_plus', 'app_eebe999e3be3eec6375644f7', 'Sweet Potato Plus', 'Everything in Basic, plus premium features', 'subscription', true, '[]', '{"tier": "premium"}', 'price_plus', '2026-12-01 13:39:32.949294+00', '2026-12-01 13:39:32.949294+00');
INSERT INTO spaps_legacy_fixture.products VALUES ('prod_basic', 'app_eebe999e3be3eec6375644f7', 'Sweet Potato Starter Pack', 'A one-time purchase', 'one_time', true, '[]', '{}', 'price_basic', '2026-12-01 13:39:32.956964+00', '2026-12-01 13:39:32.956964+00');


--
-- Data for Name: rate_limit_buckets; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: refresh_tokens; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.refresh_tokens VALUES ('rtk_aebbe5eb55bd4a70e127168d', 'app_eebe999e3be3eec6375644f7', 'sess_6ed0a3112c6376dba05808d4', 'd52de71810c9ddb8fefc043953d094ef2915287f93fe295c296a95592398c2b8', '2026-12-01 13:39:33.053322+00', '2126-11-07 13:39:33.048422+00', NULL);


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.schema_migrations VALUES (1, 'foundation', '2026-12-01 13:39:32.559948+00');
INSERT INTO spaps_legacy_fixture.schema_migrations VALUES (2, 'auth', '2026-12-01 13:39:32.629127+00');
INSERT INTO spaps_legacy_fixture.schema_migrations VALUES (3, 'whitelist', '2026-12-01 13:39:32.640149+00');
INSERT INTO spaps_legacy_fixture.schema_migrations VALUES (4, 'idempotency', '2026-12-01 13:39:32.64896+00');
INSERT INTO spaps_legacy_fixture.schema_migrations VALUES (5, 'payments', '2026-12-01 13:39:32.710183+00');
INSERT INTO spaps_legacy_fixture.schema_migrations VALUES (6, 'usage_messages', '2026-12-01 13:39:32.74292+00');
INSERT INTO spaps_legacy_fixture.schema_migrations VALUES (7, 'webhooks', '2026-12-01 13:39:32.781312+00');
INSERT INTO spaps_legacy_fixture.schema_migrations VALUES (8, 'crypto_wallet', '2026-12-01 13:39:32.840114+00');
INSERT INTO spaps_legacy_fixture.schema_migrations VALUES (9, 'auth_security', '2026-12-01 13:39:32.856458+00');


--
-- Data for Name: secure_messages; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: sessions; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.sessions VALUES ('sess_6ed0a3112c6376dba05808d4', 'app_eebe999e3be3eec6375644f7', 'user_f3416cf6c7ac6ff236068a53', 'password', 'legacy-fixture', '127.0.0.1', '2026-12-01 13:39:33.048422+00', '2026-12-01 13:39:33.048422+00', '2126-11-07 13:39:33.048422+00', NULL, NULL);


--
-- Data for Name: subscriptions; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.subscriptions VALUES ('sub_123', 'app_eebe999e3be3eec6375644f7', 'user_479b4e8ddb2aa0f26fbafb1c', 'user@example.com', 'cus_44f7c9a1f4079fdf7e7f9af8', 'si_0eb244a15f1bc0406abecfdd', 'price_123', 'prod_123', 1, 'active', '2026-12-01 13:39:32.987361+00', '2027-01-01 13:39:32.987361+00', false, NULL, NULL, NULL, '{"app_id": "app_eebe999e3be3eec6375644f7", "source": "seed"}', '2026-12-01 13:39:32.987361+00', '2026-12-01 13:39:32.987361+00');


--
-- Data for Name: usage_counters; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: usage_features; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: usage_records; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: usage_settings; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: user_wallets; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: users; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.users VALUES ('user_479b4e8ddb2aa0f26fbafb1c', 'app_eebe999e3be3eec6375644f7', 'user@example.com', NULL, NULL, '$argon2id$v=19$m=8,t=1,p=1$1uc4RmPjSJlTjJdvmCVEqw$FDHyFCGUtQ/QaBUSiYxQZztezQa5Re7g/eHkomk9sDw', 'basic', 'user', true, '{}', '2026-12-01 13:39:32.891921+00', '2026-12-01 13:39:32.891921+00', NULL);
INSERT INTO spaps_legacy_fixture.users VALUES ('user_fa660433327bab0c87e0c0ec', 'app_eebe999e3be3eec6375644f7', 'premium@example.com', NULL, NULL, '$argon2id$v=19$m=8,t=1,p=1$7vquZrMOkNAEZZEGBK8BQg$AmHeAwEfQbqK+IDnmrjE7Mmfcz1cwqkUqaFJsz3Yxtw', 'premium', 'user', true, '{}', '2026-12-01 13:39:32.904485+00', '2026-12-01 13:39:32.904485+00', NULL);
INSERT INTO spaps_legacy_fixture.users VALUES ('user_208b660c6fc935abd7423360', 'app_eebe999e3be3eec6375644f7', 'admin@example.com', NULL, NULL, '$argon2id$v=19$m=8,t=1,p=1$xmXE2SPGvwSoeJCirHJPYg$aQj3e7GCT/fwzWC1F23fGgOsN15bYw/RcfvG3IvuJqU', 'basic', 'admin', true, '{}', '2026-12-01 13:39:32.916361+00', '2026-12-01 13:39:32.916361+00', NULL);
INSERT INTO spaps_legacy_fixture.users VALUES ('user_f3416cf6c7ac6ff236068a53', 'app_eebe999e3be3eec6375644f7', 'legacy@example.com', 'old_timer', NULL, '$argon2id$v=19$m=8,t=1,p=1$DckbcVPF408Bsu+5eJXxSw$sc86vKqn+tVqHfSGqNFzEENdRU1JFSRGFasYyEX675k', 'basic', 'user', true, '{}', '2026-12-01 13:39:33.043968+00', '2026-12-01 13:39:33.043968+00', '2026-12-01 13:39:33.048422+00');


--
-- Data for Name: wallet_deposits; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: wallet_nonces; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: webhook_attempts; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: webhook_deliveries; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: webhook_endpoints; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: webhook_events; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Data for Name: webhook_secrets; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--

INSERT INTO spaps_legacy_fixture.webhook_secrets VALUES ('app_eebe999e3be3eec6375644f7', 'whsec_qrg2mYoXL3Vk1ZkGpCkdNGqtEcSjfwf1rOKD7kDW2-s', '2026-12-01 13:39:32.875738+00');


--
-- Data for Name: whitelist_entries; Type: TABLE DATA; Schema: spaps_legacy_fixture; Owner: -
--



--
-- Name: api_keys api_keys_key_hash_key; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.api_keys
    ADD CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash);


--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);


--
-- Name: application_redirect_origins application_redirect_origins_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.application_redirect_origins
    ADD CONSTRAINT application_redirect_origins_pkey PRIMARY KEY (application_id, origin);


--
-- Name: applications applications_name_key; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.applications
    ADD CONSTRAINT applications_name_key UNIQUE (name);


--
-- Name: applications applications_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.applications
    ADD CONSTRAINT applications_pkey PRIMARY KEY (id);


--
-- Name: balance_entries balance_entries_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.balance_entries
    ADD CONSTRAINT balance_entries_pkey PRIMARY KEY (id);


--
-- Name: checkout_sessions checkout_sessions_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.checkout_sessions
    ADD CONSTRAINT checkout_sessions_pkey PRIMARY KEY (id);


--
-- Name: crypto_invoice_payments crypto_invoice_payments_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.crypto_invoice_payments
    ADD CONSTRAINT crypto_invoice_payments_pkey PRIMARY KEY (id);


--
-- Name: crypto_invoice_payments crypto_invoice_payments_transaction_hash_key; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.crypto_invoice_payments
    ADD CONSTRAINT crypto_invoice_payments_transaction_hash_key UNIQUE (transaction_hash);


--
-- Name: crypto_invoices crypto_invoices_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.crypto_invoices
    ADD CONSTRAINT crypto_invoices_pkey PRIMARY KEY (id);


--
-- Name: crypto_reconcile_jobs crypto_reconcile_jobs_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.crypto_reconcile_jobs
    ADD CONSTRAINT crypto_reconcile_jobs_pkey PRIMARY KEY (id);


--
-- Name: idempotency_keys idempotency_keys_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (id);


--
-- Name: mail_outbox mail_outbox_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.mail_outbox
    ADD CONSTRAINT mail_outbox_pkey PRIMARY KEY (id);


--
-- Name: one_time_tokens one_time_tokens_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.one_time_tokens
    ADD CONSTRAINT one_time_tokens_pkey PRIMARY KEY (id);


--
-- Name: one_time_tokens one_time_tokens_token_hash_key; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.one_time_tokens
    ADD CONSTRAINT one_time_tokens_token_hash_key UNIQUE (token_hash);


--
-- Name: payment_customers payment_customers_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payment_customers
    ADD CONSTRAINT payment_customers_pkey PRIMARY KEY (id);


--
-- Name: payment_intents payment_intents_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payment_intents
    ADD CONSTRAINT payment_intents_pkey PRIMARY KEY (id);


--
-- Name: payment_methods payment_methods_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payment_methods
    ADD CONSTRAINT payment_methods_pkey PRIMARY KEY (id);


--
-- Name: payments payments_invoice_id_key; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payments
    ADD CONSTRAINT payments_invoice_id_key UNIQUE (invoice_id);


--
-- Name: payments payments_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payments
    ADD CONSTRAINT payments_pkey PRIMARY KEY (id);


--
-- Name: usage_counters pk_usage_counters; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.usage_counters
    ADD CONSTRAINT pk_usage_counters PRIMARY KEY (application_id, user_id, feature, period_start);


--
-- Name: prices prices_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.prices
    ADD CONSTRAINT prices_pkey PRIMARY KEY (id);


--
-- Name: products products_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.products
    ADD CONSTRAINT products_pkey PRIMARY KEY (id);


--
-- Name: rate_limit_buckets rate_limit_buckets_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.rate_limit_buckets
    ADD CONSTRAINT rate_limit_buckets_pkey PRIMARY KEY (bucket, subject_hash, window_start_ms);


--
-- Name: refresh_tokens refresh_tokens_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.refresh_tokens
    ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id);


--
-- Name: refresh_tokens refresh_tokens_token_hash_key; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.refresh_tokens
    ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: secure_messages secure_messages_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.secure_messages
    ADD CONSTRAINT secure_messages_pkey PRIMARY KEY (id);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);


--
-- Name: subscriptions subscriptions_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.subscriptions
    ADD CONSTRAINT subscriptions_pkey PRIMARY KEY (id);


--
-- Name: balance_entries uq_balance_entries_source; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.balance_entries
    ADD CONSTRAINT uq_balance_entries_source UNIQUE (source_type, source_id);


--
-- Name: idempotency_keys uq_idempotency_keys_scope; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.idempotency_keys
    ADD CONSTRAINT uq_idempotency_keys_scope UNIQUE (application_id, caller, idempotency_key);


--
-- Name: payment_customers uq_payment_customers_user; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payment_customers
    ADD CONSTRAINT uq_payment_customers_user UNIQUE (application_id, user_id);


--
-- Name: payment_methods uq_payment_methods_owner; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payment_methods
    ADD CONSTRAINT uq_payment_methods_owner UNIQUE (application_id, user_id, payment_method_id);


--
-- Name: usage_features uq_usage_features_key; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.usage_features
    ADD CONSTRAINT uq_usage_features_key UNIQUE (application_id, feature, tier);


--
-- Name: user_wallets uq_user_wallets_address; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.user_wallets
    ADD CONSTRAINT uq_user_wallets_address UNIQUE (application_id, chain_type, wallet_address);


--
-- Name: users uq_users_application_email; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.users
    ADD CONSTRAINT uq_users_application_email UNIQUE (application_id, email);


--
-- Name: wallet_deposits uq_wallet_deposits_app_transaction; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.wallet_deposits
    ADD CONSTRAINT uq_wallet_deposits_app_transaction UNIQUE (application_id, transaction_id);


--
-- Name: webhook_attempts uq_webhook_attempts_number; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_attempts
    ADD CONSTRAINT uq_webhook_attempts_number UNIQUE (delivery_id, attempt_number);


--
-- Name: webhook_endpoints uq_webhook_endpoints_app_url; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_endpoints
    ADD CONSTRAINT uq_webhook_endpoints_app_url UNIQUE (application_id, url);


--
-- Name: whitelist_entries uq_whitelist_entries_app_email; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.whitelist_entries
    ADD CONSTRAINT uq_whitelist_entries_app_email UNIQUE (application_id, email);


--
-- Name: usage_features usage_features_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.usage_features
    ADD CONSTRAINT usage_features_pkey PRIMARY KEY (id);


--
-- Name: usage_records usage_records_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.usage_records
    ADD CONSTRAINT usage_records_pkey PRIMARY KEY (id);


--
-- Name: usage_settings usage_settings_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.usage_settings
    ADD CONSTRAINT usage_settings_pkey PRIMARY KEY (application_id);


--
-- Name: user_wallets user_wallets_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.user_wallets
    ADD CONSTRAINT user_wallets_pkey PRIMARY KEY (id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: wallet_deposits wallet_deposits_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.wallet_deposits
    ADD CONSTRAINT wallet_deposits_pkey PRIMARY KEY (id);


--
-- Name: wallet_nonces wallet_nonces_message_hash_key; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.wallet_nonces
    ADD CONSTRAINT wallet_nonces_message_hash_key UNIQUE (message_hash);


--
-- Name: wallet_nonces wallet_nonces_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.wallet_nonces
    ADD CONSTRAINT wallet_nonces_pkey PRIMARY KEY (id);


--
-- Name: webhook_attempts webhook_attempts_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_attempts
    ADD CONSTRAINT webhook_attempts_pkey PRIMARY KEY (id);


--
-- Name: webhook_deliveries webhook_deliveries_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id);


--
-- Name: webhook_endpoints webhook_endpoints_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (id);


--
-- Name: webhook_events webhook_events_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_events
    ADD CONSTRAINT webhook_events_pkey PRIMARY KEY (id);


--
-- Name: webhook_secrets webhook_secrets_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_secrets
    ADD CONSTRAINT webhook_secrets_pkey PRIMARY KEY (application_id);


--
-- Name: whitelist_entries whitelist_entries_pkey; Type: CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.whitelist_entries
    ADD CONSTRAINT whitelist_entries_pkey PRIMARY KEY (id);


--
-- Name: ix_api_keys_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_api_keys_application_id ON spaps_legacy_fixture.api_keys USING btree (application_id);


--
-- Name: ix_balance_entries_app_user; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_balance_entries_app_user ON spaps_legacy_fixture.balance_entries USING btree (application_id, user_id);


--
-- Name: ix_checkout_sessions_app_status; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_checkout_sessions_app_status ON spaps_legacy_fixture.checkout_sessions USING btree (application_id, status, expires_at);


--
-- Name: ix_checkout_sessions_app_user; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_checkout_sessions_app_user ON spaps_legacy_fixture.checkout_sessions USING btree (application_id, user_id, created_at);


--
-- Name: ix_checkout_sessions_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_checkout_sessions_application_id ON spaps_legacy_fixture.checkout_sessions USING btree (application_id);


--
-- Name: ix_crypto_invoice_payments_invoice; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_crypto_invoice_payments_invoice ON spaps_legacy_fixture.crypto_invoice_payments USING btree (invoice_id, received_at);


--
-- Name: ix_crypto_invoices_app_status; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_crypto_invoices_app_status ON spaps_legacy_fixture.crypto_invoices USING btree (application_id, status, id);


--
-- Name: ix_mail_outbox_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_mail_outbox_application_id ON spaps_legacy_fixture.mail_outbox USING btree (application_id);


--
-- Name: ix_mail_outbox_created_at; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_mail_outbox_created_at ON spaps_legacy_fixture.mail_outbox USING btree (created_at);


--
-- Name: ix_mail_outbox_to_address; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_mail_outbox_to_address ON spaps_legacy_fixture.mail_outbox USING btree (to_address);


--
-- Name: ix_one_time_tokens_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_one_time_tokens_application_id ON spaps_legacy_fixture.one_time_tokens USING btree (application_id);


--
-- Name: ix_one_time_tokens_user_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_one_time_tokens_user_id ON spaps_legacy_fixture.one_time_tokens USING btree (user_id);


--
-- Name: ix_payment_customers_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_payment_customers_application_id ON spaps_legacy_fixture.payment_customers USING btree (application_id);


--
-- Name: ix_payments_app_user_created; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_payments_app_user_created ON spaps_legacy_fixture.payments USING btree (application_id, user_id, created_at);


--
-- Name: ix_payments_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_payments_application_id ON spaps_legacy_fixture.payments USING btree (application_id);


--
-- Name: ix_payments_checkout_session_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_payments_checkout_session_id ON spaps_legacy_fixture.payments USING btree (checkout_session_id);


--
-- Name: ix_prices_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_prices_application_id ON spaps_legacy_fixture.prices USING btree (application_id);


--
-- Name: ix_prices_product_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_prices_product_id ON spaps_legacy_fixture.prices USING btree (product_id);


--
-- Name: ix_products_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_products_application_id ON spaps_legacy_fixture.products USING btree (application_id);


--
-- Name: ix_rate_limit_buckets_expires_at_ms; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_rate_limit_buckets_expires_at_ms ON spaps_legacy_fixture.rate_limit_buckets USING btree (expires_at_ms);


--
-- Name: ix_refresh_tokens_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_refresh_tokens_application_id ON spaps_legacy_fixture.refresh_tokens USING btree (application_id);


--
-- Name: ix_refresh_tokens_session_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_refresh_tokens_session_id ON spaps_legacy_fixture.refresh_tokens USING btree (session_id);


--
-- Name: ix_secure_messages_app_created; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_secure_messages_app_created ON spaps_legacy_fixture.secure_messages USING btree (application_id, created_at);


--
-- Name: ix_secure_messages_key; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_secure_messages_key ON spaps_legacy_fixture.secure_messages USING btree (key_id);


--
-- Name: ix_sessions_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_sessions_application_id ON spaps_legacy_fixture.sessions USING btree (application_id);


--
-- Name: ix_sessions_user_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_sessions_user_id ON spaps_legacy_fixture.sessions USING btree (user_id);


--
-- Name: ix_subscriptions_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_subscriptions_application_id ON spaps_legacy_fixture.subscriptions USING btree (application_id);


--
-- Name: ix_subscriptions_user_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_subscriptions_user_id ON spaps_legacy_fixture.subscriptions USING btree (user_id);


--
-- Name: ix_usage_records_user_day; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_usage_records_user_day ON spaps_legacy_fixture.usage_records USING btree (application_id, user_id, recorded_on);


--
-- Name: ix_user_wallets_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_user_wallets_application_id ON spaps_legacy_fixture.user_wallets USING btree (application_id);


--
-- Name: ix_user_wallets_user_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_user_wallets_user_id ON spaps_legacy_fixture.user_wallets USING btree (user_id);


--
-- Name: ix_users_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_users_application_id ON spaps_legacy_fixture.users USING btree (application_id);


--
-- Name: ix_wallet_deposits_app_user_status; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_wallet_deposits_app_user_status ON spaps_legacy_fixture.wallet_deposits USING btree (application_id, user_id, status);


--
-- Name: ix_wallet_nonces_application_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_wallet_nonces_application_id ON spaps_legacy_fixture.wallet_nonces USING btree (application_id);


--
-- Name: ix_webhook_deliveries_due; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_webhook_deliveries_due ON spaps_legacy_fixture.webhook_deliveries USING btree (status, next_attempt_at);


--
-- Name: ix_webhook_deliveries_endpoint_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_webhook_deliveries_endpoint_id ON spaps_legacy_fixture.webhook_deliveries USING btree (endpoint_id);


--
-- Name: ix_webhook_deliveries_event_id; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_webhook_deliveries_event_id ON spaps_legacy_fixture.webhook_deliveries USING btree (event_id);


--
-- Name: ix_webhook_events_app_created; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_webhook_events_app_created ON spaps_legacy_fixture.webhook_events USING btree (application_id, created_at);


--
-- Name: ix_whitelist_entries_app_tier; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE INDEX ix_whitelist_entries_app_tier ON spaps_legacy_fixture.whitelist_entries USING btree (application_id, tier);


--
-- Name: uq_payment_methods_one_default; Type: INDEX; Schema: spaps_legacy_fixture; Owner: -
--

CREATE UNIQUE INDEX uq_payment_methods_one_default ON spaps_legacy_fixture.payment_methods USING btree (application_id, user_id) WHERE is_default;


--
-- Name: api_keys api_keys_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.api_keys
    ADD CONSTRAINT api_keys_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: application_redirect_origins application_redirect_origins_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.application_redirect_origins
    ADD CONSTRAINT application_redirect_origins_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: balance_entries balance_entries_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.balance_entries
    ADD CONSTRAINT balance_entries_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: checkout_sessions checkout_sessions_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.checkout_sessions
    ADD CONSTRAINT checkout_sessions_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: checkout_sessions checkout_sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.checkout_sessions
    ADD CONSTRAINT checkout_sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES spaps_legacy_fixture.users(id) ON DELETE CASCADE;


--
-- Name: crypto_invoice_payments crypto_invoice_payments_invoice_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.crypto_invoice_payments
    ADD CONSTRAINT crypto_invoice_payments_invoice_id_fkey FOREIGN KEY (invoice_id) REFERENCES spaps_legacy_fixture.crypto_invoices(id) ON DELETE CASCADE;


--
-- Name: crypto_invoices crypto_invoices_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.crypto_invoices
    ADD CONSTRAINT crypto_invoices_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: crypto_reconcile_jobs crypto_reconcile_jobs_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.crypto_reconcile_jobs
    ADD CONSTRAINT crypto_reconcile_jobs_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: idempotency_keys idempotency_keys_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.idempotency_keys
    ADD CONSTRAINT idempotency_keys_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: mail_outbox mail_outbox_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.mail_outbox
    ADD CONSTRAINT mail_outbox_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: one_time_tokens one_time_tokens_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.one_time_tokens
    ADD CONSTRAINT one_time_tokens_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: one_time_tokens one_time_tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.one_time_tokens
    ADD CONSTRAINT one_time_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES spaps_legacy_fixture.users(id) ON DELETE CASCADE;


--
-- Name: payment_customers payment_customers_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payment_customers
    ADD CONSTRAINT payment_customers_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: payment_customers payment_customers_user_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payment_customers
    ADD CONSTRAINT payment_customers_user_id_fkey FOREIGN KEY (user_id) REFERENCES spaps_legacy_fixture.users(id) ON DELETE CASCADE;


--
-- Name: payment_intents payment_intents_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payment_intents
    ADD CONSTRAINT payment_intents_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: payment_methods payment_methods_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payment_methods
    ADD CONSTRAINT payment_methods_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: payments payments_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payments
    ADD CONSTRAINT payments_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: payments payments_user_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.payments
    ADD CONSTRAINT payments_user_id_fkey FOREIGN KEY (user_id) REFERENCES spaps_legacy_fixture.users(id) ON DELETE SET NULL;


--
-- Name: prices prices_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.prices
    ADD CONSTRAINT prices_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: prices prices_product_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.prices
    ADD CONSTRAINT prices_product_id_fkey FOREIGN KEY (product_id) REFERENCES spaps_legacy_fixture.products(id) ON DELETE CASCADE;


--
-- Name: products products_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.products
    ADD CONSTRAINT products_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: refresh_tokens refresh_tokens_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.refresh_tokens
    ADD CONSTRAINT refresh_tokens_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: refresh_tokens refresh_tokens_session_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.refresh_tokens
    ADD CONSTRAINT refresh_tokens_session_id_fkey FOREIGN KEY (session_id) REFERENCES spaps_legacy_fixture.sessions(id) ON DELETE CASCADE;


--
-- Name: secure_messages secure_messages_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.secure_messages
    ADD CONSTRAINT secure_messages_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: sessions sessions_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.sessions
    ADD CONSTRAINT sessions_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: sessions sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES spaps_legacy_fixture.users(id) ON DELETE CASCADE;


--
-- Name: subscriptions subscriptions_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.subscriptions
    ADD CONSTRAINT subscriptions_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: subscriptions subscriptions_user_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.subscriptions
    ADD CONSTRAINT subscriptions_user_id_fkey FOREIGN KEY (user_id) REFERENCES spaps_legacy_fixture.users(id) ON DELETE CASCADE;


--
-- Name: usage_counters usage_counters_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.usage_counters
    ADD CONSTRAINT usage_counters_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: usage_features usage_features_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.usage_features
    ADD CONSTRAINT usage_features_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: usage_records usage_records_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.usage_records
    ADD CONSTRAINT usage_records_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: usage_settings usage_settings_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.usage_settings
    ADD CONSTRAINT usage_settings_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: user_wallets user_wallets_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.user_wallets
    ADD CONSTRAINT user_wallets_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: user_wallets user_wallets_user_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.user_wallets
    ADD CONSTRAINT user_wallets_user_id_fkey FOREIGN KEY (user_id) REFERENCES spaps_legacy_fixture.users(id) ON DELETE CASCADE;


--
-- Name: users users_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.users
    ADD CONSTRAINT users_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: wallet_deposits wallet_deposits_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.wallet_deposits
    ADD CONSTRAINT wallet_deposits_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: wallet_nonces wallet_nonces_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.wallet_nonces
    ADD CONSTRAINT wallet_nonces_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: webhook_attempts webhook_attempts_delivery_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_attempts
    ADD CONSTRAINT webhook_attempts_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES spaps_legacy_fixture.webhook_deliveries(id) ON DELETE CASCADE;


--
-- Name: webhook_deliveries webhook_deliveries_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: webhook_deliveries webhook_deliveries_endpoint_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES spaps_legacy_fixture.webhook_endpoints(id) ON DELETE CASCADE;


--
-- Name: webhook_deliveries webhook_deliveries_event_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_event_id_fkey FOREIGN KEY (event_id) REFERENCES spaps_legacy_fixture.webhook_events(id) ON DELETE CASCADE;


--
-- Name: webhook_endpoints webhook_endpoints_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: webhook_events webhook_events_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_events
    ADD CONSTRAINT webhook_events_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: webhook_secrets webhook_secrets_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.webhook_secrets
    ADD CONSTRAINT webhook_secrets_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- Name: whitelist_entries whitelist_entries_application_id_fkey; Type: FK CONSTRAINT; Schema: spaps_legacy_fixture; Owner: -
--

ALTER TABLE ONLY spaps_legacy_fixture.whitelist_entries
    ADD CONSTRAINT whitelist_entries_application_id_fkey FOREIGN KEY (application_id) REFERENCES spaps_legacy_fixture.applications(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict ogGCu4klMSrR07pLqqo5B3MutxUcdbENr5NDA2hdbsbkfleq388AHb1QvCCA0yE

