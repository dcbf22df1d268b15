UPDATE customers SET name = 'x' WHERE id = 1
DELETE FROM orders WHERE id = 5
INSERT INTO customers (name, email) VALUES ('Eve', 'eve@example.test')
REPLACE INTO customers (id, name, email) VALUES (1, 'Ada', 'ada@example.test')
INSERT INTO orders (customer_id, item, amount) SELECT id, 'x', 1 FROM customers
WITH c AS (SELECT id FROM customers) UPDATE orders SET quantity = 0 WHERE customer_id IN (SELECT id FROM c)
WITH c AS (SELECT 1) DELETE FROM orders WHERE id = 1
DROP TABLE orders
TRUNCATE TABLE orders
CREATE TABLE t_new (id int)
ALTER TABLE customers ADD COLUMN x int
RENAME TABLE customers TO people
CREATE INDEX i ON orders (item)
DROP DATABASE orders
CREATE VIEW v AS SELECT 1
CREATE TRIGGER tr BEFORE INSERT ON orders FOR EACH ROW SET NEW.quantity = 1
CREATE PROCEDURE p() DELETE FROM orders
CALL p()
DO RELEASE_LOCK('x')
SELECT GET_LOCK('x', 1)
SELECT * FROM customers FOR UPDATE
SELECT * FROM customers LOCK IN SHARE MODE
SELECT * FROM customers INTO OUTFILE '/tmp/agentgate-out.txt'
SELECT 'x' INTO DUMPFILE '/tmp/agentgate-dump.txt'
/*!50000 SELECT * FROM customers INTO OUTFILE '/tmp/agentgate-out2.txt' */
SELECT LOAD_FILE('/etc/passwd')
SELECT 1; DELETE FROM orders
SELECT 1 /* ; */ ; UPDATE orders SET quantity = 1
/*!DELETE FROM orders*/
/*M!100000 DELETE FROM orders */
HANDLER orders OPEN
LOCK TABLES orders WRITE
GRANT ALL ON *.* TO 'x'@'%'
REVOKE SELECT ON orders.* FROM 'agentgate_ro'@'%'
CREATE USER 'mallory'@'%' IDENTIFIED BY 'pw'
SET PASSWORD FOR 'agentgate_ro'@'%' = PASSWORD('x')
SET GLOBAL max_connections = 1
SET @@global.read_only = 1
SET sql_log_bin = 0
KILL 1
SHUTDOWN
FLUSH PRIVILEGES
RESET MASTER
PURGE BINARY LOGS BEFORE NOW()
CHANGE MASTER TO MASTER_HOST = 'evil'
STOP SLAVE
INSTALL PLUGIN x SONAME 'x.so'
INSTALL SONAME 'ha_example'
CREATE FUNCTION f RETURNS STRING SONAME 'udf.so'
XA START 'x'
BINLOG 'AAAA'
PREPARE s FROM 'DELETE FROM orders'
PREPARE s FROM @q
EXECUTE IMMEDIATE 'DELETE FROM orders'
ANALYZE DELETE FROM orders
ANALYZE TABLE orders
OPTIMIZE TABLE orders
LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE orders
CREATE SEQUENCE s1
SELECT NEXTVAL(s1)
SELECT NEXT VALUE FOR s1
SELECT SETVAL(s1, 10)
SELECT 'unterminated
SELEC 1
