DROP TABLE product_only_users;
