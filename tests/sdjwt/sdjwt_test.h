#ifndef GR_SDJWT_TEST_H
#define GR_SDJWT_TEST_H

/* A PID-like subject (ten claims, one nested object, one array) shared by the sdjwt tests. */

#define PID_CLAIMS                                                                           \
    "{\"given_name\":\"Erika\",\"family_name\":\"Mustermann\",\"birthdate\":\"1964-08-12\"," \
    "\"birth_family_name\":\"Gabler\",\"place_of_birth\":{\"locality\":\"Berlin\"},"         \
    "\"address\":{\"street_address\":\"Heidestra\xc3\x9f"                                    \
    "e 17\",\"locality\":\"K\xc3\xb6ln\","                                                   \
    "\"postal_code\":\"51147\",\"country\":\"DE\"},"                                         \
    "\"nationalities\":[\"DE\",\"FR\"],\"age_equal_or_over\":{\"18\":true,\"21\":true},"     \
    "\"age_in_years\":62,\"issuing_country\":\"DE\",\"sex\":2}"

#define PID_DISCLOSABLE                                                                       \
    "[\"given_name\",\"family_name\",\"birthdate\",\"birth_family_name\",\"place_of_birth\"," \
    "\"address\",[\"address\",\"street_address\"],[\"address\",\"locality\"],"                \
    "[\"address\",\"postal_code\"],[\"nationalities\",null],[\"age_equal_or_over\",\"18\"],"  \
    "[\"age_equal_or_over\",\"21\"],\"age_in_years\",\"sex\"]"

#define PID_VCT "urn:eudi:pid:1"

#endif
