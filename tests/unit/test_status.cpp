// Status (status.h): ok is free and writes nothing; an error writes API.md §1's body.
#include <gtest/gtest.h>

#include "status.h"

TEST(Status, OkWritesNothing) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.http(), 200);
  EXPECT_EQ(s.code(), "");
  EXPECT_TRUE(s.message().empty());
  EXPECT_TRUE(s.errors().empty());
  EXPECT_EQ(sizeof(Status), sizeof(void*)) << "ok must be one null pointer";
  Response res;
  res.status = 201;
  s.write_to(res);
  EXPECT_EQ(res.status, 201);
  EXPECT_TRUE(res.body.empty());
}

TEST(Status, ErrorWritesTheBodyWithTheCodeOfItsStatus) {
  Status s =
      Status::error(422, "Validation failed: 1 field is invalid.", {{"title", "is required"}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), "validation_failed");
  Status copy = s;
  Response res;
  copy.write_to(res);
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.body,
            R"({"detail":"Validation failed: 1 field is invalid.","code":"validation_failed",)"
            R"("errors":[{"field":"title","message":"is required"}]})");
}

TEST(Status, CodedErrorKeepsItsCode) {
  Status s = Status::coded(422, "quota_exceeded", "Task quota reached");
  EXPECT_EQ(s.code(), "quota_exceeded");
  Response res;
  s.write_to(res);
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.body, R"({"detail":"Task quota reached","code":"quota_exceeded"})");
}
