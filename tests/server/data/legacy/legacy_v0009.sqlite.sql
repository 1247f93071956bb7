BEGIN TRANSACTION;
CREATE TABLE api_keys (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	key_hash VARCHAR(64) NOT NULL, 
	prefix VARCHAR(32) NOT NULL, 
	created_at DATETIME NOT NULL, 
	revoked_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE, 
	UNIQUE (key_hash)
);
INSERT INTO "api_keys" VALUES('key_2837eb1af5156386e9650fcf','app_20dac5ae3032248c9ec109e0','deaf1b023bec2068439b1706d2a609857a27f8d5c6aa27b52b4e878286542a77','test_key_local…','2026-12-01 13:39:32.362820',NULL);
CREATE TABLE application_redirect_origins (
	application_id VARCHAR(64) NOT NULL, 
	origin VARCHAR(300) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (application_id, origin), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE applications (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	is_default BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	revoked_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
INSERT INTO "applications" VALUES('app_20dac5ae3032248c9ec109e0','default',1,'2026-12-01 13:39:32.359325',NULL);
CREATE TABLE balance_entries (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	amount VARCHAR(40) NOT NULL, 
	currency VARCHAR(8) NOT NULL, 
	source_type VARCHAR(32) NOT NULL, 
	source_id VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_balance_entries_source UNIQUE (source_type, source_id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE checkout_sessions (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64), 
	is_guest BOOLEAN NOT NULL, 
	customer_email VARCHAR(320), 
	mode VARCHAR(16) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	payment_status VARCHAR(32) NOT NULL, 
	currency VARCHAR(3) NOT NULL, 
	amount_total BIGINT NOT NULL, 
	line_items JSON NOT NULL, 
	success_url TEXT NOT NULL, 
	cancel_url TEXT NOT NULL, 
	client_reference_id VARCHAR(200), 
	metadata JSON NOT NULL, 
	payment_intent_id VARCHAR(64), 
	subscription_id VARCHAR(64), 
	pending_authentication BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	completed_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE, 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
INSERT INTO "checkout_sessions" VALUES('cs_test_123','app_20dac5ae3032248c9ec109e0','user_c684fab7016743803cb99446',0,'user@example.com','subscription','open','unpaid','usd',2000,'[{"price_id": "price_plus", "product_id": "prod_plus", "quantity": 1, "unit_amount": 2000, "currency": "usd", "description": "Sweet Potato Plus (Plus monthly)", "interval": "month", "interval_count": 1}]','https://example.com/success?session_id={CHECKOUT_SESSION_ID}','https://example.com/cancel','order_123','{"app_id": "app_20dac5ae3032248c9ec109e0", "source": "seed"}',NULL,NULL,0,'2026-12-01 13:39:32.431993','2026-12-02 13:39:32.431993',NULL);
CREATE TABLE crypto_invoice_payments (
	id VARCHAR(64) NOT NULL, 
	invoice_id VARCHAR(64) NOT NULL, 
	amount VARCHAR(40) NOT NULL, 
	transaction_hash VARCHAR(128) NOT NULL, 
	received_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(invoice_id) REFERENCES crypto_invoices (id) ON DELETE CASCADE, 
	UNIQUE (transaction_hash)
);
CREATE TABLE crypto_invoices (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	asset VARCHAR(16) NOT NULL, 
	network VARCHAR(32) NOT NULL, 
	amount VARCHAR(40) NOT NULL, 
	received_amount VARCHAR(40) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	metadata JSON NOT NULL, 
	beneficiary JSON, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	finalized_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE crypto_reconcile_jobs (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	scheduled_at DATETIME NOT NULL, 
	completed_at DATETIME NOT NULL, 
	last_invoice_id VARCHAR(64), 
	invoices_checked INTEGER NOT NULL, 
	invoices_expired INTEGER NOT NULL, 
	has_more BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE idempotency_keys (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	caller VARCHAR(128) NOT NULL, 
	idempotency_key VARCHAR(255) NOT NULL, 
	request_hash VARCHAR(64) NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	claim_token VARCHAR(64) NOT NULL, 
	locked_until DATETIME NOT NULL, 
	response_status INTEGER, 
	response_body TEXT, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_idempotency_keys_scope UNIQUE (application_id, caller, idempotency_key), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE mail_outbox (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64), 
	to_address VARCHAR(320) NOT NULL, 
	from_address VARCHAR(320) NOT NULL, 
	subject TEXT NOT NULL, 
	text_body TEXT NOT NULL, 
	html_body TEXT, 
	kind VARCHAR(64) NOT NULL, 
	metadata JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	delivered_at DATETIME, 
	delivery_error TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE one_time_tokens (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	token_hash VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64), 
	email VARCHAR(320), 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	used_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE, 
	UNIQUE (token_hash), 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE TABLE payment_customers (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	base_tier VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_payment_customers_user UNIQUE (application_id, user_id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE, 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
INSERT INTO "payment_customers" VALUES('cus_6289cf588c0e76727ea1e870','app_20dac5ae3032248c9ec109e0','user_c684fab7016743803cb99446','basic','2026-12-01 13:39:32.413365');
CREATE TABLE payment_intents (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	amount BIGINT NOT NULL, 
	currency VARCHAR(3) NOT NULL, 
	payment_method_types JSON NOT NULL, 
	metadata JSON NOT NULL, 
	status VARCHAR(32) NOT NULL, 
	client_secret VARCHAR(128) NOT NULL, 
	payment_method_id VARCHAR(64), 
	decline_code VARCHAR(64), 
	decline_message VARCHAR(255), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE payment_methods (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	payment_method_id VARCHAR(64) NOT NULL, 
	brand VARCHAR(32) NOT NULL, 
	last4 VARCHAR(4) NOT NULL, 
	is_default BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_payment_methods_owner UNIQUE (application_id, user_id, payment_method_id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE payments (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64), 
	customer_email VARCHAR(320), 
	amount BIGINT NOT NULL, 
	currency VARCHAR(3) NOT NULL, 
	status VARCHAR(32) NOT NULL, 
	description TEXT NOT NULL, 
	payment_method_type VARCHAR(32) NOT NULL, 
	card_brand VARCHAR(32), 
	card_last4 VARCHAR(4), 
	failure_code VARCHAR(64), 
	invoice_id VARCHAR(64), 
	checkout_session_id VARCHAR(64), 
	subscription_id VARCHAR(64), 
	metadata JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE, 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE SET NULL, 
	UNIQUE (invoice_id)
);
INSERT INTO "payments" VALUES('pi_123','app_20dac5ae3032248c9ec109e0','user_c684fab7016743803cb99446','user@example.com',900,'usd','succeeded','Monthly subscription','card',NULL,NULL,NULL,'in_123',NULL,'sub_123','{"app_id": "app_20dac5ae3032248c9ec109e0", "source": "seed"}','2026-12-01 13:39:32.424442');
CREATE TABLE prices (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	product_id VARCHAR(64) NOT NULL, 
	unit_amount BIGINT NOT NULL, 
	currency VARCHAR(3) NOT NULL, 
	type VARCHAR(16) NOT NULL, 
	interval VARCHAR(8), 
	interval_count INTEGER NOT NULL, 
	nickname VARCHAR(200), 
	active BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE, 
	FOREIGN KEY(product_id) REFERENCES products (id) ON DELETE CASCADE
);
INSERT INTO "prices" VALUES('price_123','app_20dac5ae3032248c9ec109e0','prod_123',900,'usd','recurring','month',1,'Basic monthly',1,'2026-12-01 13:39:32.389241');
INSERT INTO "prices" VALUES('price_123_yearly','app_20dac5ae3032248c9ec109e0','prod_123',9000,'usd','recurring','year',1,'Basic yearly',1,'2026-12-01 13:39:32.389270');
INSERT INTO "prices" VALUES('price_plus','app_20dac5ae3032248c9ec109e0','prod_plus',2000,'usd','recurring','month',1,'Plus monthly',1,'2026-12-01 13:39:32.396607');
INSERT INTO "prices" VALUES('price_basic','app_20dac5ae3032248c9ec109e0','prod_basic',500,'usd','one_time',NULL,1,'Starter pack',1,'2026-12-01 13:39:32.400221');
CREATE TABLE products (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	description TEXT, 
	category VARCHAR(64), 
	active BOOLEAN NOT NULL, 
	images JSON NOT NULL, 
	metadata JSON NOT NULL, 
	default_price_id VARCHAR(64), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
INSERT INTO "products" VALUES('prod_123','app_20dac5ae3032248c9ec109e0','Sweet Potato Basic','The basic plan, billed monthly or yearly','subscription',1,'[]','{"tier": "basic"}','price_123','2026-12-01 13:39:32.389281','2026-12-01 13:39:32.389281');
INSERT INTO "products" VALUES('prod_plus','app_20dac5ae3032248c9ec109e0','Sweet Potato Plus','Everything in Basic, plus premium features','subscription',1,'[]','{"tier": "premium"}','price_plus','2026-12-01 13:39:32.396627','2026-12-01 13:39:32.396627');
INSERT INTO "products" VALUES('prod_basic','app_20dac5ae3032248c9ec109e0','Sweet Potato Starter Pack','A one-time purchase','one_time',1,'[]','{}','price_basic','2026-12-01 13:39:32.400239','2026-12-01 13:39:32.400239');
CREATE TABLE rate_limit_buckets (
	bucket VARCHAR(64) NOT NULL, 
	subject_hash VARCHAR(64) NOT NULL, 
	window_start_ms BIGINT NOT NULL, 
	expires_at_ms BIGINT NOT NULL, 
	count INTEGER NOT NULL, 
	PRIMARY KEY (bucket, subject_hash, window_start_ms)
);
CREATE TABLE refresh_tokens (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	session_id VARCHAR(64) NOT NULL, 
	token_hash VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	used_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE, 
	FOREIGN KEY(session_id) REFERENCES sessions (id) ON DELETE CASCADE, 
	UNIQUE (token_hash)
);
INSERT INTO "refresh_tokens" VALUES('rtk_ce7026c986ca053940a9e17e','app_20dac5ae3032248c9ec109e0','sess_c355b1ace5bdecbe1ef5d13a','0ca0f24b4250b3e81e5742bf5b6c5e0bc4c6e267591454182ab2b53aa99c9d97','2026-12-01 13:39:32.442823','2126-11-07 13:39:32.439197',NULL);
CREATE TABLE schema_migrations (
	version INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	applied_at DATETIME NOT NULL, 
	PRIMARY KEY (version)
);
INSERT INTO "schema_migrations" VALUES(1,'foundation','2026-12-01 13:39:32.247699');
INSERT INTO "schema_migrations" VALUES(2,'auth','2026-12-01 13:39:32.265049');
INSERT INTO "schema_migrations" VALUES(3,'whitelist','2026-12-01 13:39:32.269351');
INSERT INTO "schema_migrations" VALUES(4,'idempotency','2026-12-01 13:39:32.273156');
INSERT INTO "schema_migrations" VALUES(5,'payments','2026-12-01 13:39:32.298384');
INSERT INTO "schema_migrations" VALUES(6,'usage_messages','2026-12-01 13:39:32.311250');
INSERT INTO "schema_migrations" VALUES(7,'webhooks','2026-12-01 13:39:32.324753');
INSERT INTO "schema_migrations" VALUES(8,'crypto_wallet','2026-12-01 13:39:32.347439');
INSERT INTO "schema_migrations" VALUES(9,'auth_security','2026-12-01 13:39:32.352725');
CREATE TABLE secure_messages (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	sender_id VARCHAR(64) NOT NULL, 
	patient_id VARCHAR(128) NOT NULL, 
	practitioner_id VARCHAR(128) NOT NULL, 
	key_id VARCHAR(64) NOT NULL, 
	nonce BLOB NOT NULL, 
	ciphertext BLOB NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE sessions (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	auth_method VARCHAR(32) NOT NULL, 
	user_agent TEXT, 
	ip_address VARCHAR(64), 
	created_at DATETIME NOT NULL, 
	last_activity_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	revoked_at DATETIME, 
	revoked_reason VARCHAR(64), 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE, 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
INSERT INTO "sessions" VALUES('sess_c355b1ace5bdecbe1ef5d13a','app_20dac5ae3032248c9ec109e0','user_e6067fa9ab3822bbf0e4aab3','password','legacy-fixture','127.0.0.1','2026-12-01 13:39:32.439197','2026-12-01 13:39:32.439197','2126-11-07 13:39:32.439197',NULL,NULL);
CREATE TABLE subscriptions (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64), 
	customer_email VARCHAR(320), 
	customer_id VARCHAR(64), 
	item_id VARCHAR(64) NOT NULL, 
	price_id VARCHAR(64) NOT NULL, 
	product_id VARCHAR(64) NOT NULL, 
	quantity INTEGER NOT NULL, 
	status VARCHAR(32) NOT NULL, 
	current_period_start DATETIME NOT NULL, 
	current_period_end DATETIME NOT NULL, 
	cancel_at_period_end BOOLEAN NOT NULL, 
	canceled_at DATETIME, 
	ended_at DATETIME, 
	checkout_session_id VARCHAR(64), 
	metadata JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE, 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
INSERT INTO "subscriptions" VALUES('sub_123','app_20dac5ae3032248c9ec109e0','user_c684fab7016743803cb99446','user@example.com','cus_6289cf588c0e76727ea1e870','si_7b4766737933e98178cc4730','price_123','prod_123',1,'active','2026-12-01 13:39:32.410680','2027-01-01 13:39:32.410680',0,NULL,NULL,NULL,'{"app_id": "app_20dac5ae3032248c9ec109e0", "source": "seed"}','2026-12-01 13:39:32.410680','2026-12-01 13:39:32.410680');
CREATE TABLE usage_counters (
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	feature VARCHAR(64) NOT NULL, 
	period_start DATETIME NOT NULL, 
	period_end DATETIME NOT NULL, 
	used FLOAT NOT NULL, 
	CONSTRAINT pk_usage_counters PRIMARY KEY (application_id, user_id, feature, period_start), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE usage_features (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	feature VARCHAR(64) NOT NULL, 
	tier VARCHAR(64) NOT NULL, 
	description TEXT, 
	limit_value FLOAT, 
	overage VARCHAR(16) NOT NULL, 
	overage_unit_price FLOAT NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_usage_features_key UNIQUE (application_id, feature, tier), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE usage_records (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	feature VARCHAR(64) NOT NULL, 
	quantity FLOAT NOT NULL, 
	overage_quantity FLOAT NOT NULL, 
	cost FLOAT NOT NULL, 
	recorded_at DATETIME NOT NULL, 
	recorded_on VARCHAR(10) NOT NULL, 
	period_start DATETIME NOT NULL, 
	metadata JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE usage_settings (
	application_id VARCHAR(64) NOT NULL, 
	defaults_applied_at DATETIME NOT NULL, 
	PRIMARY KEY (application_id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE user_wallets (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	wallet_address VARCHAR(128) NOT NULL, 
	chain_type VARCHAR(32) NOT NULL, 
	verified BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_user_wallets_address UNIQUE (application_id, chain_type, wallet_address), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE, 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE TABLE users (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	email VARCHAR(320), 
	username VARCHAR(100), 
	phone_number VARCHAR(64), 
	password_hash TEXT, 
	tier VARCHAR(64) NOT NULL, 
	role VARCHAR(64) NOT NULL, 
	email_confirmed BOOLEAN NOT NULL, 
	metadata JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	last_sign_in_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_users_application_email UNIQUE (application_id, email), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
INSERT INTO "users" VALUES('user_c684fab7016743803cb99446','app_20dac5ae3032248c9ec109e0','user@example.com',NULL,NULL,'$argon2id$v=19$m=8,t=1,p=1$6SRC0yZd6lywgbaFBHCN9w$yt5W0ctv4G/lyfqCNlDhXwl5xk1cCoVsan1FvCT1E38','basic','user',1,'{}','2026-12-01 13:39:32.374717','2026-12-01 13:39:32.374717',NULL);
INSERT INTO "users" VALUES('user_fd3f64cd596da98be8ae11a1','app_20dac5ae3032248c9ec109e0','premium@example.com',NULL,NULL,'$argon2id$v=19$m=8,t=1,p=1$udwKQjVqwH+jdM7NXgefiQ$F0TjPKx1VRrCS2KD/OCBJH8NIYhsKmvn3qDBUXp3jk8','premium','user',1,'{}','2026-12-01 13:39:32.379912','2026-12-01 13:39:32.379912',NULL);
INSERT INTO "users" VALUES('user_afbc8be8e1aceb8fa54d0b3b','app_20dac5ae3032248c9ec109e0','admin@example.com',NULL,NULL,'$argon2id$v=19$m=8,t=1,p=1$Jax3ri/TSCHJD/QpQdcAng$Jex79vHGZ1jwVuJnf5cJ7HbNIHVZagDTNqKDNAqf9/o','basic','admin',1,'{}','2026-12-01 13:39:32.384088','2026-12-01 13:39:32.384088',NULL);
INSERT INTO "users" VALUES('user_e6067fa9ab3822bbf0e4aab3','app_20dac5ae3032248c9ec109e0','legacy@example.com','old_timer',NULL,'$argon2id$v=19$m=8,t=1,p=1$6Se/X29L54gmfrQ0PvV+/A$C7jpJiE4ceeB+XqHRyH5iwx2Xfy7x4+4ntEpsd0STBg','basic','user',1,'{}','2026-12-01 13:39:32.435935','2026-12-01 13:39:32.435935','2026-12-01 13:39:32.439197');
CREATE TABLE wallet_deposits (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	wallet_address VARCHAR(128) NOT NULL, 
	chain_type VARCHAR(32) NOT NULL, 
	transaction_id VARCHAR(128) NOT NULL, 
	amount VARCHAR(40) NOT NULL, 
	currency VARCHAR(16) NOT NULL, 
	tier VARCHAR(64), 
	confirmation_required INTEGER NOT NULL, 
	extra_confirmations INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	completed_at DATETIME, 
	balance_added VARCHAR(40), 
	PRIMARY KEY (id), 
	CONSTRAINT uq_wallet_deposits_app_transaction UNIQUE (application_id, transaction_id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE wallet_nonces (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	wallet_address VARCHAR(128) NOT NULL, 
	chain_type VARCHAR(32) NOT NULL, 
	nonce VARCHAR(128) NOT NULL, 
	message TEXT NOT NULL, 
	message_hash VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	used_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE, 
	UNIQUE (message_hash)
);
CREATE TABLE webhook_attempts (
	id VARCHAR(64) NOT NULL, 
	delivery_id VARCHAR(64) NOT NULL, 
	attempt_number INTEGER NOT NULL, 
	started_at DATETIME NOT NULL, 
	succeeded BOOLEAN NOT NULL, 
	status_code INTEGER, 
	latency_ms INTEGER NOT NULL, 
	response_snippet TEXT, 
	error TEXT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_webhook_attempts_number UNIQUE (delivery_id, attempt_number), 
	FOREIGN KEY(delivery_id) REFERENCES webhook_deliveries (id) ON DELETE CASCADE
);
CREATE TABLE webhook_deliveries (
	id VARCHAR(64) NOT NULL, 
	event_id VARCHAR(64) NOT NULL, 
	endpoint_id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	attempt_count INTEGER NOT NULL, 
	next_attempt_at DATETIME, 
	claim_token VARCHAR(64), 
	claim_until DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	completed_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(event_id) REFERENCES webhook_events (id) ON DELETE CASCADE, 
	FOREIGN KEY(endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE, 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE webhook_endpoints (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	url VARCHAR(2048) NOT NULL, 
	description VARCHAR(500), 
	created_at DATETIME NOT NULL, 
	removed_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_webhook_endpoints_app_url UNIQUE (application_id, url), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE webhook_events (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	type VARCHAR(100) NOT NULL, 
	schema_version INTEGER NOT NULL, 
	data JSON NOT NULL, 
	payload TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE webhook_secrets (
	application_id VARCHAR(64) NOT NULL, 
	secret VARCHAR(128) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (application_id), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
INSERT INTO "webhook_secrets" VALUES('app_20dac5ae3032248c9ec109e0','whsec_fmU0dlZ6GvTzbuqrcYKwf0fTJCuh-1TiaKFaErSuldg','2026-12-01 13:39:32.365681');
CREATE TABLE whitelist_entries (
	id VARCHAR(64) NOT NULL, 
	application_id VARCHAR(64) NOT NULL, 
	email VARCHAR(320) NOT NULL, 
	tier VARCHAR(64) NOT NULL, 
	bypass_payment BOOLEAN NOT NULL, 
	metadata JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	created_by VARCHAR(64), 
	PRIMARY KEY (id), 
	CONSTRAINT uq_whitelist_entries_app_email UNIQUE (application_id, email), 
	FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE INDEX ix_api_keys_application_id ON api_keys (application_id);
CREATE INDEX ix_mail_outbox_to_address ON mail_outbox (to_address);
CREATE INDEX ix_mail_outbox_created_at ON mail_outbox (created_at);
CREATE INDEX ix_mail_outbox_application_id ON mail_outbox (application_id);
CREATE INDEX ix_users_application_id ON users (application_id);
CREATE INDEX ix_wallet_nonces_application_id ON wallet_nonces (application_id);
CREATE INDEX ix_one_time_tokens_application_id ON one_time_tokens (application_id);
CREATE INDEX ix_one_time_tokens_user_id ON one_time_tokens (user_id);
CREATE INDEX ix_sessions_user_id ON sessions (user_id);
CREATE INDEX ix_sessions_application_id ON sessions (application_id);
CREATE INDEX ix_user_wallets_application_id ON user_wallets (application_id);
CREATE INDEX ix_user_wallets_user_id ON user_wallets (user_id);
CREATE INDEX ix_refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX ix_refresh_tokens_application_id ON refresh_tokens (application_id);
CREATE INDEX ix_whitelist_entries_app_tier ON whitelist_entries (application_id, tier);
CREATE INDEX ix_payment_customers_application_id ON payment_customers (application_id);
CREATE INDEX ix_products_application_id ON products (application_id);
CREATE INDEX ix_checkout_sessions_application_id ON checkout_sessions (application_id);
CREATE INDEX ix_checkout_sessions_app_user ON checkout_sessions (application_id, user_id, created_at);
CREATE INDEX ix_checkout_sessions_app_status ON checkout_sessions (application_id, status, expires_at);
CREATE INDEX ix_subscriptions_user_id ON subscriptions (user_id);
CREATE INDEX ix_subscriptions_application_id ON subscriptions (application_id);
CREATE INDEX ix_payments_app_user_created ON payments (application_id, user_id, created_at);
CREATE INDEX ix_payments_application_id ON payments (application_id);
CREATE INDEX ix_payments_checkout_session_id ON payments (checkout_session_id);
CREATE INDEX ix_prices_product_id ON prices (product_id);
CREATE INDEX ix_prices_application_id ON prices (application_id);
CREATE INDEX ix_usage_records_user_day ON usage_records (application_id, user_id, recorded_on);
CREATE INDEX ix_secure_messages_key ON secure_messages (key_id);
CREATE INDEX ix_secure_messages_app_created ON secure_messages (application_id, created_at);
CREATE INDEX ix_webhook_events_app_created ON webhook_events (application_id, created_at);
CREATE INDEX ix_webhook_deliveries_event_id ON webhook_deliveries (event_id);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX ix_webhook_deliveries_endpoint_id ON webhook_deliveries (endpoint_id);
CREATE INDEX ix_crypto_invoices_app_status ON crypto_invoices (application_id, status, id);
CREATE INDEX ix_wallet_deposits_app_user_status ON wallet_deposits (application_id, user_id, status);
CREATE UNIQUE INDEX uq_payment_methods_one_default ON payment_methods (application_id, user_id) WHERE is_default;
CREATE INDEX ix_balance_entries_app_user ON balance_entries (application_id, user_id);
CREATE INDEX ix_crypto_invoice_payments_invoice ON crypto_invoice_payments (invoice_id, received_at);
CREATE INDEX ix_rate_limit_buckets_expires_at_ms ON rate_limit_buckets (expires_at_ms);
COMMIT;
